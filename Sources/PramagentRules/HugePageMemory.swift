import CVectorscan
import Foundation

/// Memory for Vectorscan databases in 2 MiB pages where the kernel gives them.
///
/// A scan reads the databases (several MiB) at scattered places. In a daemon that sleeps between
/// requests the TLB and caches are cold at every request, and with 4 KiB pages every few cache
/// lines need a page walk (in a VM a nested one). Linux's transparent huge pages are commonly in
/// `madvise` mode: a mapping gets 2 MiB pages only when asked (`MADV_HUGEPAGE`) and only where it
/// is 2 MiB aligned. Large databases therefore get a mapping of their own, aligned and rounded to
/// 2 MiB; small ones come from `malloc`. Where the kernel has no huge pages, the advice is
/// ignored and the mapping works as any other.
enum HugePageMemory {
    static let pageSize = 2 << 20
    /// Below this size a database comes from `malloc` (a 2 MiB mapping would be mostly empty).
    static let threshold = 1 << 20
    /// Bytes before each block: what `release` needs to know (and 64-byte alignment kept).
    static let header = 64

    /// Makes Vectorscan allocate databases here. Called once, before any database exists (the
    /// allocator that frees a database must be the one that allocated it).
    static let installed: Bool = {
        hs_set_database_allocator(allocate, release) == HS_SUCCESS
    }()

    static let allocate: @convention(c) (Int) -> UnsafeMutableRawPointer? = { size in
        let total = size + HugePageMemory.header
        guard total >= HugePageMemory.threshold else {
            guard let block = malloc(total) else { return nil }
            block.storeBytes(of: 0, as: Int.self) // 0: from malloc
            return block + HugePageMemory.header
        }
        let page = HugePageMemory.pageSize
        let length = (total + page - 1) / page * page
        // Map one page more than needed, then unmap what lies outside the aligned range.
        guard let raw = mmap(nil, length + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else { return nil }
        let address = Int(bitPattern: raw)
        let aligned = (address + page - 1) / page * page
        if aligned > address { munmap(raw, aligned - address) }
        let tail = address + length + page - (aligned + length)
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + length), tail) }
        let block = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(block, length, Int32(MADV_HUGEPAGE))
        block.storeBytes(of: length, as: Int.self) // the mapping's length
        return block + HugePageMemory.header
    }

    static let release: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
        guard let pointer else { return }
        let block = pointer - HugePageMemory.header
        let length = block.load(as: Int.self)
        if length == 0 { free(block) } else { munmap(block, length) }
    }
}
