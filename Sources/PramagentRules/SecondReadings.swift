/// The second readings of a scan: the split reading (`CaseSplit`: the windows of the plain view
/// around case changes inside words, read apart) and the scramble reading (`ScrambleIndex`: the
/// windows around scrambled words, read as the rules' words), matched by the plain, prose,
/// from-end and concept rules.
extension RuleEngine {
    /// Between windows, and before or after a window that does not reach the text's start or
    /// end: a word of one NUL byte between spaces, after a sentence break. No match may hold it
    /// (it keeps `^` and `$` from reading a window's edge as the text's).
    static let separator: [UInt8] = [0x20, 0x00, 0x20]

    /// Findings of the split reading (`casedWords`: the words of the plain view with a capital
    /// after their first byte, see `FastViews.proseWithSentences`). A match counts only when it
    /// reads a split (holds a space the split inserted, or begins or ends at one): every other
    /// match is one the first reading has. A text with a name kept glued ("OpenAI") is read
    /// apart twice, with and without it.
    /// `glued` are the cuts of words glued without a case change (`GluedWords`), read apart in
    /// the same windows.
    func splitReading(_ bytes: [UInt8], _ plainBytes: [UInt8], _ casedWords: [Range<Int>], glued: [Int] = [],
                      _ trackedPlain: inout NormalizedText?, _ s: OpaquePointer, _ truncated: inout Bool) -> [(rule: Int, span: Range<Int>)] {
        guard !caseVocabulary.isEmpty else { return [] }
        var (offsets, joined, live) = casedWords.isEmpty ? ([], [], false) : CaseSplit.splits(plainBytes, in: casedWords, caseVocabulary)
        if !glued.isEmpty {
            live = true
            offsets = Array(Set(offsets + glued)).sorted()
        }
        guard live else { return [] }
        var out = offsets.isEmpty ? [] : readApart(bytes, plainBytes, offsets, &trackedPlain, s, &truncated)
        if !joined.isEmpty {
            out += readApart(bytes, plainBytes, (offsets + joined).sorted(), &trackedPlain, s, &truncated)
        }
        return out
    }

    /// Findings of the scramble reading: windows around the scrambled words of the plain view
    /// (`ScrambleIndex.scrambles`) and the words cut by punctuation (`CutWords.find`),
    /// each such word read as the rules' word it stands for (same length). A match counts only
    /// when its span in the text overlaps such a word, and covers the words it overlaps whole.
    func scrambleReading(_ bytes: [UInt8], _ plainBytes: [UInt8], _ scrambles: [(range: Range<Int>, word: [UInt8])],
                         _ trackedPlain: inout NormalizedText?, _ s: OpaquePointer, _ truncated: inout Bool) -> [(rule: Int, span: Range<Int>)] {
        let windows = CaseSplit.windows(plainBytes, scrambles.map(\.range.lowerBound), radius: Self.secondReadingRadius)
        func replaced(_ read: inout [UInt8], _ window: CaseSplit.Window) {
            for (range, word) in scrambles[window.splits] {
                for k in range.indices { read[k - window.bytes.lowerBound] = word[k - range.lowerBound] }
            }
        }
        var spans: [Range<Int>] = []
        // The first of `spans` that ends after `start` (they ascend: the words are in order).
        func firstEnding(after start: Int) -> Int {
            var lo = 0, hi = spans.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if spans[mid].upperBound <= start { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        let found = readWindows(bytes, plainBytes, windows, &trackedPlain, s, &truncated,
                           build: { window in
                               var read = Array(plainBytes[window.bytes])
                               replaced(&read, window)
                               return read
                           },
                           buildTracked: { plain, window in
                               if spans.isEmpty { spans = scrambles.map { plain.originalSpan($0.range.lowerBound, $0.range.upperBound) } }
                               var read = NormalizedText(capacity: window.bytes.count, tracking: true)
                               read.append(contentsOf: plain, window.bytes)
                               replaced(&read.bytes, window)
                               return read
                           },
                           counts: { view, from, to in
                               // The first word that ends after the match starts is the only one to check.
                               let span = view.originalSpan(from, to)
                               let k = firstEnding(after: span.lowerBound)
                               return k < spans.count && spans[k].overlaps(span)
                           })
        // A match covers the words it overlaps whole: a cut word reads its letters first and its
        // cuts last ("in-structions" as "instructions "), so a match ending on its last letter
        // would end before the original's.
        return found.map { hit in
            var span = hit.span
            var k = firstEnding(after: span.lowerBound)
            while k < spans.count && spans[k].lowerBound < span.upperBound {
                span = min(span.lowerBound, spans[k].lowerBound)..<max(span.upperBound, spans[k].upperBound)
                k += 1
            }
            return (hit.rule, span)
        }
    }

    /// One reading apart: the text with a space before each of `offsets` (ascending), in windows.
    private func readApart(_ bytes: [UInt8], _ plainBytes: [UInt8], _ offsets: [Int], _ trackedPlain: inout NormalizedText?,
                           _ s: OpaquePointer, _ truncated: inout Bool) -> [(rule: Int, span: Range<Int>)] {
        let windows = CaseSplit.windows(plainBytes, offsets, radius: Self.secondReadingRadius)
        return readWindows(bytes, plainBytes, windows, &trackedPlain, s, &truncated,
                           build: { CaseSplit.apart(plainBytes, $0, offsets) },
                           buildTracked: { CaseSplit.apart($0, $1, offsets) },
                           counts: { Self.readsSplit($0, $1, $2) })
    }

    /// A second reading of windows of the plain view: `build` gives a window's plain bytes as
    /// this reading has them, `buildTracked` the same with origins (from the tracked plain view),
    /// and `counts` says whether a match (offsets into the tracked reading of the windows) is one
    /// this reading adds. The windows are read one after another, separated; a match that holds
    /// a separator never counts. Without a match in the windows the text is not normalised
    /// again; with one, the windows are built again with origins (from `trackedPlain`, made here
    /// when the caller has none yet) and matched again.
    func readWindows(_ bytes: [UInt8], _ plainBytes: [UInt8], _ windows: [CaseSplit.Window], _ trackedPlain: inout NormalizedText?,
                     _ s: OpaquePointer, _ truncated: inout Bool, build: (CaseSplit.Window) -> [UInt8],
                     buildTracked: (NormalizedText, CaseSplit.Window) -> NormalizedText,
                     counts: (NormalizedText, Int, Int) -> Bool) -> [(rule: Int, span: Range<Int>)] {
        var plainWindows: [UInt8] = []
        var proseWindows: [UInt8] = []
        var breaks: [Int] = []
        func separate() {
            breaks.append(proseWindows.count)
            plainWindows += Self.separator
            proseWindows += Self.separator
        }
        for window in windows {
            if window.bytes.lowerBound > 0 || !plainWindows.isEmpty { separate() }
            let read = build(window)
            let words = FastViews.proseWithSentences(read)
            breaks += words.sentenceBreaks.map { $0 + proseWindows.count }
            plainWindows += read
            proseWindows += words.bytes
        }
        if let last = windows.last, last.bytes.upperBound < plainBytes.count { separate() }
        var untrackedTruncated = false
        let first = hits(plainWindows, FastViews.skeleton(proseWindows), breaks, s, &untrackedTruncated)
        guard !first.isEmpty else {
            if untrackedTruncated { truncated = true }
            return []
        }
        // With origins: the same windows again (the same bytes: the views' differential test
        // holds the two passes equal; were they not, sentence breaks are dropped, not offsets).
        let plain = trackedPlain ?? TextNormalizer.plain(bytes, tracking: true)
        trackedPlain = plain
        // The windows are of the untracked view; the two are equal (the differential test),
        // and were they not, no window may reach past the tracked one.
        guard plain.bytes.count == plainBytes.count else { return [] }
        var plainView = NormalizedText(capacity: plainWindows.count, tracking: true)
        var proseView = NormalizedText(capacity: proseWindows.count, tracking: true)
        func separateTracked() {
            for b in Self.separator { plainView.append(b, 0, 1); proseView.append(b, 0, 1) }
        }
        for window in windows {
            if window.bytes.lowerBound > 0 || !plainView.bytes.isEmpty { separateTracked() }
            let read = buildTracked(plain, window)
            let words = TextNormalizer.prose(read)
            plainView.append(contentsOf: read, 0..<read.bytes.count)
            proseView.append(contentsOf: words, 0..<words.bytes.count)
        }
        if let last = windows.last, last.bytes.upperBound < plainBytes.count { separateTracked() }
        if proseView.bytes != proseWindows { breaks = [] }
        let skeleton = FastViews.skeleton(proseView.bytes)
        let found = hits(plainView.bytes, skeleton, breaks, s, &truncated)
        func kept(_ view: NormalizedText, _ from: Int, _ to: Int) -> Bool {
            from < to && to <= view.bytes.count && !view.bytes[from..<to].contains(0x00) && counts(view, from, to)
        }
        var out: [(rule: Int, span: Range<Int>)] = []
        if let db = self.plain {
            for hit in refine(db, plainView.bytes, found.plain, s) where kept(plainView, hit.from, hit.to) {
                out.append((db.ruleOfPattern[Int(hit.id)], plainView.originalSpan(hit.from, hit.to)))
            }
        }
        for m in found.concepts where kept(proseView, m.from, m.to) {
            out.append((m.rule, proseView.originalSpan(m.from, m.to)))
        }
        for (db, list) in [(prose, found.prose), (proseFromEndForward, found.late)] {
            guard let db else { continue }
            for hit in refine(db, skeleton, list, s) where kept(proseView, hit.from, hit.to) {
                let rule = db.ruleOfPattern[Int(hit.id)]
                if !follows(notAfter[rule], skeleton, hit.from) { out.append((rule, proseView.originalSpan(hit.from, hit.to))) }
            }
        }
        return out
    }

    /// True when bytes `from..<to` of a split-reading view read a split: they hold a space the
    /// split inserted, or begin or end at one (the split made the word boundary there).
    /// (`readWindows` has already set aside matches that hold a separator.)
    static func readsSplit(_ view: NormalizedText, _ from: Int, _ to: Int) -> Bool {
        guard from < to, to <= view.bytes.count else { return false }
        for k in max(0, from - 1)..<min(view.bytes.count, to + 1) where CaseSplit.isSplitSpace(view, k) { return true }
        return false
    }

    private struct SplitHits {
        var plain: [(id: UInt32, from: Int, to: Int)]
        var prose: [(id: UInt32, from: Int, to: Int)]
        var late: [(id: UInt32, from: Int, to: Int)]
        var concepts: [(rule: Int, from: Int, to: Int)]
        var isEmpty: Bool { plain.isEmpty && prose.isEmpty && late.isEmpty && concepts.isEmpty }
    }

    /// Plain, prose, from-end and concept matches of the split reading's windows.
    private func hits(_ plainBytes: [UInt8], _ skeleton: [UInt8], _ breaks: [Int], _ s: OpaquePointer,
                      _ truncated: inout Bool) -> SplitHits {
        SplitHits(plain: self.plain.map { matches($0, plainBytes, s, &truncated) } ?? [],
                  prose: prose.map { matches($0, skeleton, s, &truncated) } ?? [],
                  late: fromEndMatches(skeleton, s, &truncated),
                  concepts: conceptMatches(skeleton, breaks, &truncated))
    }
}
