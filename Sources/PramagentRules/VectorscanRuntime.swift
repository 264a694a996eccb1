import CVectorscan
import Foundation

/// The Vectorscan scan routine and compile target the engine uses.
///
/// Debian 12's Vectorscan (5.4.9) is a fat runtime: `hs_scan` dispatches to a routine built for
/// the CPU. On this project's machine its AVX-512 routine misses matches depending on where the
/// input lies in memory: `<[a-z]+[^>]{0,100}\bon(error|…)\s*=` after a run of letters was missed
/// at 20 of 36 prefix lengths for some of the 64 buffer alignments, so the same text was flagged
/// in one process and passed in the next. The AVX2, SSE4.2 and SSSE3 routines never missed
/// (`VectorscanRuntimeTests`). A scanner that an attacker can get past by padding is no scanner,
/// so on a CPU with AVX-512 the AVX2 routine (exported by the library as `avx2_hs_scan`) is
/// called directly and databases are compiled for AVX2. Without AVX-512 `hs_scan` picks a
/// routine that is not affected.
enum VectorscanRuntime {
    typealias ScanFunction = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UInt32, UInt32, OpaquePointer?,
                                             match_event_handler?, UnsafeMutableRawPointer?) -> hs_error_t

    struct Choice: @unchecked Sendable {
        /// The routine every scan calls.
        var scan: ScanFunction
        /// The compile target (also part of cache keys).
        var platform: hs_platform_info_t
        /// `hs_scan`, or the name of the routine called instead.
        var name: String
    }

    static let choice: Choice = {
        var platform = hs_platform_info_t()
        _ = hs_populate_platform(&platform)
        let dispatched: ScanFunction = { hs_scan($0, $1, $2, $3, $4, $5, $6) }
        let avx512 = UInt64(HS_CPU_FEATURES_AVX512) | UInt64(HS_CPU_FEATURES_AVX512VBMI)
        guard platform.cpu_features & avx512 != 0, platform.cpu_features & UInt64(HS_CPU_FEATURES_AVX2) != 0,
              let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "avx2_hs_scan") else {
            return Choice(scan: dispatched, platform: platform, name: "hs_scan")
        }
        platform.cpu_features &= ~avx512
        return Choice(scan: unsafeBitCast(symbol, to: ScanFunction.self), platform: platform, name: "avx2_hs_scan")
    }()
}
