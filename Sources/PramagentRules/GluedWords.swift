import Foundation

/// Words glued together with neither spaces nor case changes ("ignoreallpreviousinstructions",
/// "IGNOREALLPREVIOUSINSTRUCTIONS", "Disregardyourrules"): the prose view reads one long word, the
/// split reading (`CaseSplit`) has no case change to cut at. A run of 15 to 64 ASCII letters in
/// one case (a capital first allowed; a mixed-case run is read between its case changes) is cut
/// where the cheapest segmentation into the rules' words (`CaseSplitVocabulary.segments`: words
/// of the patterns, concept terms and `not_after` phrases, with common endings, and stems) puts
/// its pieces; the cuts join the split reading's, so a match counts only where it reads one. A
/// run of 20 letters or more may hold words the rules lack (a third of its letters at most). A
/// run with fewer than three known pieces (a word of the rules, a compound such as
/// "troubleshooting") or that no segmentation covers is left as it is.
///
/// Ordinary prose has few runs that long (about two in 16 KiB of package documentation), found
/// eight bytes at a time (a run of 15 letters holds eight aligned ones). The segmentation costs
/// at most `longestPiece` lookups per letter of a run (each a probe of one array, `HashSet64`);
/// `budget` bounds all of them in a scan to 24 a byte of text (more than a text of 60-letter
/// lines of DNA needs): past it the scan is marked truncated.
enum GluedWords {
    static let shortestRun = 15, longestRun = 64
    /// The longest piece a run is cut into.
    static let longestPiece = 20

    /// Piece lookups a scan of `count` bytes may spend: a text of prose needs a few per long
    /// word; one made of glued runs needs `longestPiece` per letter, and is read up to this.
    static func budget(forBytes count: Int) -> Int { 65_536 + 24 * count }

    /// Where the glued runs of a plain view are cut (offsets a new word starts at), ascending.
    /// `budget` is the number of piece lookups left; `truncated` is set when it runs out.
    static func splits(in plain: [UInt8], _ vocabulary: CaseSplitVocabulary, budget: inout Int, truncated: inout Bool) -> [Int] {
        guard !vocabulary.isEmpty, plain.count >= shortestRun else { return [] }
        var out: [Int] = []
        plain.withUnsafeBufferPointer { src in
            guard let base = src.baseAddress else { return }
            let n = src.count
            let cls = FastViews.classes
            var walkedTo = 0
            var chunk = 0
            while chunk + 8 <= n {
                let x = UnsafeRawPointer(base + chunk).loadUnaligned(as: UInt64.self)
                guard allLetters(x), chunk >= walkedTo else { chunk += 8; continue }
                var start = chunk
                while start > 0, CaseSplit.isASCIILetter(src[start - 1]) { start -= 1 }
                var end = chunk + 8
                while end < n, CaseSplit.isASCIILetter(src[end]) { end += 1 }
                walkedTo = end
                chunk = (end + 7) & ~7
                // A letter run glued to digits or leetspeak symbols is not read here.
                guard end - start >= shortestRun, start == 0 || cls[Int(src[start - 1])] & 7 == 0,
                      end == n || cls[Int(src[end])] & 7 == 0 else { continue }
                // The parts between lower-to-upper changes ("Ignore|Allpreviousinstructions"):
                // the split reading cuts there, this reads what lies between.
                var part = start
                for k in start...end where k == end || (k > start && CaseSplit.isLower(src[k - 1]) && CaseSplit.isUpper(src[k])) {
                    defer { part = k }
                    guard k - part >= shortestRun, k - part <= longestRun, oneCase(src, part, k) else { continue }
                    guard budget >= (k - part) * longestPiece else { truncated = true; return }
                    budget -= (k - part) * longestPiece
                    if let cuts = segment(src, part, k, vocabulary) { out += cuts }
                }
            }
        }
        return out
    }

    /// True when all eight bytes of `x` are ASCII letters (either case), without branches.
    @inline(__always) static func allLetters(_ x: UInt64) -> Bool {
        let highs: UInt64 = 0x8080_8080_8080_8080
        let lower = x | 0x2020_2020_2020_2020 // A-Z to a-z (and other bytes to bytes that are no letters)
        let low7 = lower & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = (low7 &+ 0x1F1F_1F1F_1F1F_1F1F) & highs // byte >= 0x61
        let pastZ = (low7 &+ 0x0505_0505_0505_0505) & highs    // byte >= 0x7B
        return atLeastA & ~pastZ & ~x & highs == highs        // and below 0x80
    }

    /// True when the letters of `start..<end` are all lower case, all capitals, or a capital
    /// and then lower case (mixed case is the split reading's).
    static func oneCase(_ src: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var upper = 0
        for k in start + 1..<end where CaseSplit.isUpper(src[k]) { upper += 1 }
        return upper == 0 || upper == end - start - 1
    }

    /// Runs of this many letters or more may hold words the rules do not have ("Thinkofyourself
    /// asamodelwhere..."): a third of their letters may lie in unknown pieces.
    static let longRun = 20

    /// The cuts of the best segmentation of `start..<end` into pieces the vocabulary knows: the
    /// lowest cost, a piece costing 1 (a one-letter word 3) and, in a run of `longRun` letters or
    /// more, a letter in a piece the vocabulary does not know 3. Nil when there is none with
    /// three known pieces or more (and, in a long run, at most a third of the letters unknown).
    static func segment(_ src: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ vocabulary: CaseSplitVocabulary) -> [Int]? {
        let length = end - start
        let unknownAllowed = length >= longRun
        // cost[i]: the cost of the best cover of the first i letters (Int.max: none); from[i]
        // where its last piece starts; known[i] its known pieces, unknown[i] its unknown letters.
        var cost = [Int](repeating: Int.max, count: length + 1)
        var from = [Int](repeating: 0, count: length + 1)
        var known = [Int](repeating: 0, count: length + 1)
        var unknown = [Int](repeating: 0, count: length + 1)
        cost[0] = 0
        func offer(_ i: Int, _ j: Int, unknownLetters: Int) {
            let candidate = cost[i] + (unknownLetters > 0 ? 1 + 3 * unknownLetters : j - i == 1 ? 3 : 1)
            guard candidate < cost[j] else { return }
            cost[j] = candidate
            from[j] = i
            known[j] = known[i] + (unknownLetters == 0 ? 1 : 0)
            unknown[j] = unknown[i] + unknownLetters
        }
        let lower = FastViews.lowerTable
        for i in 0..<length where cost[i] != Int.max {
            var h = CaseSplitVocabulary.joinedSeed
            for j in i..<min(length, i + longestPiece) {
                let b = lower[Int(src[start + j])]
                h = CaseSplitVocabulary.joinedStep(h, b == 0x6C ? 0x69 : b) // skeleton: l as i
                // Pieces of two letters or more, and the words "a" and "i".
                if j > i ? vocabulary.segments(h) : (b == 0x61 || src[start + i] | 0x20 == 0x69) {
                    offer(i, j + 1, unknownLetters: 0)
                } else if unknownAllowed {
                    offer(i, j + 1, unknownLetters: j + 1 - i)
                }
            }
        }
        // Three known pieces at least: a compound of two words ("trouble|shooting") is a word of
        // its own, and reading it apart costs windows and finds nothing.
        guard cost[length] != Int.max, known[length] >= 3, !unknownAllowed || unknown[length] * 3 <= length else { return nil }
        var cuts: [Int] = []
        var k = length
        while k > 0 {
            let piece = from[k]
            if piece > 0 { cuts.append(start + piece) }
            k = piece
        }
        return cuts.reversed()
    }
}
