import Foundation

/// Words cut by punctuation inside them ("Ig-nore all pre-vious in-structions", "sys_tem",
/// "in.structions", "pro*mpt"): a reader joins the pieces, the prose view reads them as separate
/// words. A run of ASCII letters cut by single `-`, `_`, `.` or `*` between letters, 4 to 32
/// letters in all, is read as one word when its letters, joined, are a word of the rules
/// (`CaseSplitVocabulary.readsJoined`: a word of a pattern, concept term or `not_after` phrase,
/// one of them with a common ending, or a concept stem with at most three letters after it).
/// The reading is the scramble reading's (same length, windows around the word, a match must
/// overlap it): the letters move to the front and the cuts to the end as spaces ("in.structions"
/// reads "instructions ").
///
/// Runs are found with `memchr` per separator byte (ordinary prose has few of them between
/// letters), each run is walked once, and one that grows past `longestWord` letters is skipped
/// to its end: linear in the text.
enum CutWords {
    static let shortestWord = 4, longestWord = 32

    /// Bytes that may cut a word.
    static let cuts: [UInt8] = [0x2D, 0x5F, 0x2E, 0x2A] // - _ . *

    /// The cut words of a plain view, ascending and disjoint: each run's range and its reading
    /// (joined lower-case letters, then a space per cut).
    static func find(in plain: [UInt8], _ vocabulary: CaseSplitVocabulary) -> [(range: Range<Int>, word: [UInt8])] {
        guard !vocabulary.isEmpty else { return [] }
        var starts: [Int] = []
        plain.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress else { return }
            let n = src.count
            for cut in Self.cuts {
                var p = 0
                while p < n, let hit = memchr(base + p, Int32(cut), n - p) {
                    let k = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                    if k > 0, k + 1 < n, CaseSplit.isASCIILetter(src[k - 1]), CaseSplit.isASCIILetter(src[k + 1]) { starts.append(k) }
                    p = k + 1
                }
            }
        }
        guard !starts.isEmpty else { return [] }
        starts.sort()
        var out: [(range: Range<Int>, word: [UInt8])] = []
        var walkedTo = 0 // runs already walked end here: a cut before it belongs to one
        plain.withUnsafeBufferPointer { src in
        FastViews.classes.withUnsafeBufferPointer { cls in
        FastViews.lowerTable.withUnsafeBufferPointer { lower in
            let n = src.count
            for cut in starts where cut >= walkedTo {
                // The run: letters back from the cut, then letters and single cuts forward.
                var start = cut
                while start > walkedTo, CaseSplit.isASCIILetter(src[start - 1]) { start -= 1 }
                var end = start
                var letters = 0
                var cutCount = 0
                // The joined skeleton letters' hash, and those of the three shorter prefixes.
                var h = CaseSplitVocabulary.joinedSeed
                var p1: UInt64 = 0, p2: UInt64 = 0, p3: UInt64 = 0
                while end < n {
                    let b = src[end]
                    if CaseSplit.isASCIILetter(b) {
                        letters += 1
                        (p3, p2, p1) = (p2, p1, h)
                        let lower = lower[Int(b)]
                        h = CaseSplitVocabulary.joinedStep(h, lower == 0x6C ? 0x69 : lower) // skeleton: l as i
                    } else if Self.isCut(b), end + 1 < n, CaseSplit.isASCIILetter(src[end + 1]), end > start {
                        cutCount += 1
                    } else {
                        break
                    }
                    end += 1
                }
                walkedTo = end
                // Part of a longer token ("v1.2-beta", "a@b.c"): the prose view reads that apart anyway.
                guard cutCount > 0, letters >= Self.shortestWord, letters <= Self.longestWord,
                      start == 0 || cls[Int(src[start - 1])] & 7 == 0, end == n || cls[Int(src[end])] & 7 == 0,
                      vocabulary.readsJoined(hash: h, prefixes: (p1, p2, p3)) else { continue }
                var word: [UInt8] = []
                word.reserveCapacity(end - start)
                for k in start..<end where CaseSplit.isASCIILetter(src[k]) { word.append(lower[Int(src[k])]) }
                // The cuts as spaces after the word: a '.' there would read as a sentence break,
                // a '-' would keep the plain view's `\s` from matching after the word.
                word += [UInt8](repeating: 0x20, count: end - start - word.count)
                out.append((start..<end, word))
            }
        }}}
        return out
    }

    /// One of `cuts` (spelt out: this runs per byte of a run, `cuts.contains` would not inline).
    @inline(__always) static func isCut(_ b: UInt8) -> Bool { b == 0x2D || b == 0x5F || b == 0x2E || b == 0x2A }

    /// `scrambles` and `cuts` (each ascending and disjoint) as one ascending, disjoint list: a
    /// scramble inside a cut word gives way to it.
    static func merged(_ scrambles: [(range: Range<Int>, word: [UInt8])], _ cuts: [(range: Range<Int>, word: [UInt8])])
        -> [(range: Range<Int>, word: [UInt8])] {
        guard !cuts.isEmpty else { return scrambles }
        guard !scrambles.isEmpty else { return cuts }
        var out: [(range: Range<Int>, word: [UInt8])] = []
        out.reserveCapacity(scrambles.count + cuts.count)
        var c = 0
        for s in scrambles {
            while c < cuts.count && cuts[c].range.upperBound <= s.range.lowerBound { out.append(cuts[c]); c += 1 }
            if c < cuts.count && cuts[c].range.overlaps(s.range) { continue }
            out.append(s)
        }
        out += cuts[c...]
        return out
    }
}
