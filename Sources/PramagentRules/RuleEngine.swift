import CVectorscan
import Dispatch
import Foundation
import Synchronization

/// Bounds on one scan. Every stage is linear in the input; these bound the constants.
public struct ScanLimits: Sendable {
    /// Decoding layers looked inside (base64 inside URL-encoding is two).
    public var decodeDepth = 2
    /// Decoded bytes scanned in all, per scan, as a multiple of the input (at least 4 KiB).
    public var decodeBudgetFactor = 2
    /// Raw matches collected per view before the scan stops early (`truncated`).
    public var maxMatches = 50_000
    /// Findings reported per scan.
    public var maxFindings = 1_000

    public init() {}
}

/// What one scan found.
public struct ScanReport: Sendable {
    /// Findings sorted by start offset; spans are UTF-8 byte offsets into the scanned text.
    public var findings: [Finding]
    /// True when a limit cut the scan short (the findings are then a prefix of what there is).
    public var truncated: Bool

    public init(findings: [Finding] = [], truncated: Bool = false) {
        self.findings = findings
        self.truncated = truncated
    }

    /// The text with every redactable finding replaced by its placeholder (overlaps merged).
    public func redact(_ text: [UInt8]) -> String {
        let spans = findings.compactMap { f in f.placeholder.map { (f.start, f.end, $0) } }.sorted { $0.0 < $1.0 }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var cursor = 0
        for (start, end, placeholder) in spans {
            if start >= cursor {
                out += text[cursor..<start]
                out += Array(placeholder.utf8)
                cursor = end
            } else if end > cursor {
                cursor = end // overlapping: widen the span already replaced
            }
        }
        if cursor < text.count { out += text[cursor...] }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A compiled set of rules and PII detectors. Immutable and safe to share between threads.
public final class RuleEngine: Sendable {
    public let rules: [Rule]
    public let piiKinds: Set<PIIKind>
    public let limits: ScanLimits

    struct ViewDatabase: @unchecked Sendable {
        let database: VectorscanDatabase
        /// Rule index of each pattern id.
        let ruleOfPattern: [Int]
        /// Longest match of each pattern, capped at `lookback` (how far back a start is searched).
        let widths: [Int]

        static let lookback = 512
    }
    private enum Database: CaseIterable { case prose, plain, raw, native, proseFromEnd, proseFromEndForward }
    private struct PatternEntry: Sendable {
        let rule: Int
        let pattern: Int
        let text: String
        let flags: UInt32
    }
    let prose: ViewDatabase?
    /// Prose patterns matched from the end: reversed, and forward (see `fromEndMatches`).
    private let proseFromEnd: ViewDatabase?
    let proseFromEndForward: ViewDatabase?
    let plain: ViewDatabase?
    /// The raw view's database: the raw rules' patterns, then (from `rawGateBase` on) the gates
    /// that report once (`Gates.patternsOfDatabase[0]`).
    private let raw: ViewDatabase?
    private let rawGateBase: Int
    /// Patterns in scripts other than Latin, over the native view (UTF-8 mode).
    private let native: ViewDatabase?
    private let scratch: ScratchPool
    private let hasRules: Bool
    let concepts: ConceptEvaluator
    /// The concept rules' terms, found by word lookups (nil without concept rules).
    private let conceptTerms: TermIndex?
    /// `Rule.notAfter` of each rule, as prose-skeleton bytes.
    let notAfter: [[[UInt8]]]
    /// The words of the prose and plain rules, for reading words glued by case apart (`CaseSplit`).
    let caseVocabulary: CaseSplitVocabulary
    /// How far either side of a case change the split reading looks (`CaseSplit.windows`), and
    /// the scramble reading either side of a scrambled word.
    static let secondReadingRadius = 256
    /// The words of the prose and plain rules, for reading scrambled words (`ScrambleIndex`).
    let scrambleIndex: ScrambleIndex

    /// Compiles `rules` (one database per view) and switches on `pii` detectors.
    public init(rules: [Rule], pii: Set<PIIKind> = [], limits: ScanLimits = ScanLimits()) throws(RuleCompileError) {
        self.rules = rules
        self.piiKinds = pii
        self.limits = limits
        for rule in rules where rule.concept != nil && (rule.view != .prose || !rule.patterns.isEmpty) {
            throw RuleCompileError(ruleID: rule.id, patternIndex: 0, message: "a concept rule reads the prose view and has no patterns")
        }
        let concepts = try ConceptEvaluator(rules: rules)
        self.concepts = concepts
        var notAfter: [[[UInt8]]] = []
        for rule in rules {
            guard !rule.notAfter.isEmpty else { notAfter.append([]); continue }
            guard rule.view == .prose, rule.concept == nil else {
                throw RuleCompileError(ruleID: rule.id, patternIndex: 0, message: "not_after applies to prose patterns only (concept rules have unless)")
            }
            var phrases: [[UInt8]] = []
            for phrase in rule.notAfter {
                let literal = FastViews.proseSkeleton(Array(phrase.utf8))
                guard !literal.isEmpty, literal.count <= ConceptEvaluator.maxTermBytes else {
                    throw RuleCompileError(ruleID: rule.id, patternIndex: 0,
                                           message: "not_after phrase \"\(phrase)\" must have letters or digits and at most \(ConceptEvaluator.maxTermBytes) bytes")
                }
                phrases.append(literal)
            }
            notAfter.append(phrases)
        }
        self.notAfter = notAfter
        // Patterns of each database: one per view, and for prose patterns matched from the end
        // (`Rule.fromEnd`) two more: the reversed patterns over the reversed view, which only
        // says where the earliest match starts, and the same patterns forward, run from there.
        var jobs: [Database: [PatternEntry]] = [:]
        for (r, rule) in rules.enumerated() {
            for (p, pattern) in rule.patterns.enumerated() {
                let (text, f) = PatternDialect.compiled(pattern, view: rule.view)
                if rule.view == .native {
                    guard PatternDialect.hasNonASCII(text) else {
                        throw RuleCompileError(ruleID: rule.id, patternIndex: p,
                                               message: "a native-view pattern must contain a character outside ASCII once folded (the view is read only for texts with one; use prose or plain)")
                    }
                    jobs[.native, default: []].append(PatternEntry(rule: r, pattern: p, text: text, flags: f))
                    continue
                }
                guard rule.view == .prose else {
                    jobs[rule.view == .plain ? .plain : .raw, default: []].append(PatternEntry(rule: r, pattern: p, text: text, flags: f))
                    continue
                }
                guard rule.fromEnd.contains(p) else {
                    jobs[.prose, default: []].append(PatternEntry(rule: r, pattern: p, text: text, flags: f))
                    continue
                }
                let reversed: String
                do throws(PatternReversal.Unsupported) { reversed = try PatternReversal.reversed(text) } catch {
                    throw RuleCompileError(ruleID: rule.id, patternIndex: p, message: "cannot be matched from the end: \(error.message)")
                }
                jobs[.proseFromEnd, default: []].append(PatternEntry(rule: r, pattern: p, text: reversed, flags: f))
                jobs[.proseFromEndForward, default: []].append(PatternEntry(rule: r, pattern: p, text: text, flags: f))
            }
        }
        // The gates that report once read the raw view's bytes too: they join its database
        // (one pass instead of two), after the raw rules' patterns (`rawGateBase`).
        let rawGateBase = jobs[.raw]?.count ?? 0
        for (k, index) in Gates.patternsOfDatabase[0].enumerated() {
            jobs[.raw, default: []].append(PatternEntry(rule: -1, pattern: k, text: Gates.patterns[index].1, flags: Gates.flags(index)))
        }
        self.rawGateBase = rawGateBase
        for rule in rules where !rule.fromEnd.isEmpty {
            guard rule.view == .prose, rule.fromEnd.allSatisfy({ $0 >= 0 && $0 < rule.patterns.count }) else {
                throw RuleCompileError(ruleID: rule.id, patternIndex: rule.fromEnd.min() ?? 0,
                                       message: "patterns matched from the end must be prose patterns of the rule")
            }
        }
        let patternsOf = jobs
        @Sendable func build(_ entries: [PatternEntry], widths wanted: Bool) throws(RuleCompileError) -> ViewDatabase? {
            let patterns = entries.map(\.text)
            let flags = entries.map(\.flags)
            guard !patterns.isEmpty else { return nil }
            // No start-of-match tracking: it made compiling ten times slower (tens of seconds for
            // the built-in corpora). Starts are found after a match by `refine`. A cached
            // database (same patterns and flags, same library and CPU) skips the compile.
            let owners = entries.map(\.rule)
            let key = DatabaseCache.key(patterns: patterns, flags: flags)
            if let (cached, widths) = DatabaseCache.load(key, patternCount: patterns.count) {
                return ViewDatabase(database: cached, ruleOfPattern: owners, widths: widths.map { $0 ?? ViewDatabase.lookback })
            }
            do {
                let db = try VectorscanDatabase(patterns: patterns, flags: flags)
                let widths = wanted ? patterns.indices.map { VectorscanDatabase.maxWidth(patterns[$0], flags: flags[$0]) } : patterns.map { _ in nil }
                DatabaseCache.store(key, db, widths: widths)
                return ViewDatabase(database: db, ruleOfPattern: owners, widths: widths.map { $0 ?? ViewDatabase.lookback })
            } catch {
                // Name the exact pattern: compile them one at a time (only on this error path).
                for i in patterns.indices {
                    if let message = VectorscanDatabase.compileError(patterns[i], flags: flags[i]) {
                        throw RuleCompileError(ruleID: entries[i].rule >= 0 ? rules[entries[i].rule].id : "", patternIndex: entries[i].pattern, message: message)
                    }
                }
                let owner = error.index >= 0 && error.index < entries.count ? entries[error.index] : entries[0]
                throw RuleCompileError(ruleID: owner.rule >= 0 ? rules[owner.rule].id : "", patternIndex: owner.pattern, message: error.message)
            }
        }
        // The databases compile in parallel (Vectorscan compiles are CPU-bound and independent).
        let results = Mutex<[Database: Result<ViewDatabase?, RuleCompileError>]>([:])
        let kinds = Database.allCases
        DispatchQueue.concurrentPerform(iterations: kinds.count) { i in
            let result: Result<ViewDatabase?, RuleCompileError>
            do throws(RuleCompileError) { result = .success(try build(patternsOf[kinds[i]] ?? [], widths: kinds[i] != .proseFromEnd)) } catch {
                result = .failure(error)
            }
            results.withLock { $0[kinds[i]] = result }
        }
        let built = results.withLock { $0 }
        // The first error in a fixed order, so the same policy always reports the same error.
        for kind in kinds { if case .failure(let error) = built[kind]! { throw error } }
        func take(_ kind: Database) -> ViewDatabase? { if case .success(let db) = built[kind]! { return db }; return nil }
        prose = take(.prose)
        plain = take(.plain)
        raw = take(.raw)
        native = take(.native)
        proseFromEnd = take(.proseFromEnd)
        proseFromEndForward = take(.proseFromEndForward)
        // Concept terms: word lookups on the padded prose skeleton (`TermIndex`); nothing to compile.
        conceptTerms = concepts.isEmpty ? nil : TermIndex(concepts.terms)
        let splitPatterns = (patternsOf[.prose] ?? []) + (patternsOf[.proseFromEndForward] ?? []) + (patternsOf[.plain] ?? [])
        caseVocabulary = CaseSplitVocabulary(patterns: splitPatterns.map(\.text), terms: concepts.terms, phrases: notAfter.flatMap { $0 })
        scrambleIndex = ScrambleIndex(rules: rules)
        let databases = [prose, plain, raw, native, proseFromEnd, proseFromEndForward].compactMap { $0?.database }
        hasRules = !rules.isEmpty // the raw database exists either way (it carries gates)
        do { scratch = try ScratchPool(databases: databases) } catch {
            throw RuleCompileError(ruleID: "", patternIndex: 0, message: error.message)
        }
    }

    public var isEmpty: Bool { rules.isEmpty && piiKinds.isEmpty }

    /// Scans a text: every view, the PII detectors, and decoded layers within the limits.
    public func scan(_ text: String) -> ScanReport { scan(Array(text.utf8)) }

    public func scan(_ bytes: [UInt8]) -> ScanReport {
        var budget = max(4_096, bytes.count * limits.decodeBudgetFactor)
        var truncated = false
        var findings = scan(bytes, depth: 0, budget: &budget, truncated: &truncated)
        findings.sort { ($0.start, $0.end, $0.ruleID) < ($1.start, $1.end, $1.ruleID) }
        if findings.count > limits.maxFindings {
            findings.removeLast(findings.count - limits.maxFindings)
            truncated = true
        }
        return ScanReport(findings: findings, truncated: truncated)
    }

    private func scan(_ bytes: [UInt8], depth: Int, budget: inout Int, truncated: inout Bool) -> [Finding] {
        var spans: [SpanKey: Void] = [:]
        var order: [SpanKey] = []
        func add(_ rule: Int, _ range: Range<Int>, _ layer: String?) {
            guard !range.isEmpty else { return }
            let key = SpanKey(rule: rule, start: range.lowerBound, end: range.upperBound, layer: layer)
            if spans.updateValue((), forKey: key) == nil { order.append(key) }
        }
        // Secrets and identifiers are matched on the text without invisible characters.
        let stripped = TextNormalizer.stripped(bytes)
        var gates: Gates = []
        var base64Ends: [Int]?
        scratch.withScratch { s in
            let rawBytes = stripped?.bytes ?? bytes
            let pass = gatePass(rawBytes, s, &truncated)
            gates = pass.gates
            // Gate offsets are into the stripped text: the decoders read the original.
            base64Ends = stripped == nil ? pass.base64Ends : nil
            if let raw {
                for hit in refine(raw, rawBytes, pass.rawHits, s) {
                    let span = stripped?.originalSpan(hit.from, hit.to) ?? hit.from..<hit.to
                    add(raw.ruleOfPattern[Int(hit.id)], span, nil)
                }
            }
            if hasRules {
                // Native-script rules: only a text with non-ASCII characters has anything for them.
                if let native, FastViews.hasNonASCII(bytes), TextNormalizer.nativeViewHasNonASCII(bytes) {
                    // Without origins first; a text with matches is normalised again with them.
                    let view = TextNormalizer.native(bytes, tracking: false).bytes
                    let hits = matches(native, view, s, &truncated)
                    if !hits.isEmpty {
                        let tracked = TextNormalizer.native(bytes)
                        for hit in refine(native, view, hits, s, utf8: true) {
                            add(native.ruleOfPattern[Int(hit.id)], tracked.originalSpan(hit.from, hit.to), nil)
                        }
                    }
                }
                let hasProse = prose != nil || proseFromEnd != nil
                guard plain != nil || hasProse || conceptTerms != nil else { return }
                // Views without origins first; only a text with matches is normalised again with them.
                let plainBytes = FastViews.plainView(bytes)
                // Without a prose pass, the words with a capital inside are found by `CaseSplit`.
                let scrambles = scrambleIndex.isEmpty ? nil : scrambleIndex
                let (proseWords, sentenceBreaks, casedWords, scrambled) = !hasProse && conceptTerms == nil
                    ? ([], [], CaseSplit.casedWords(plainBytes), scrambles?.scrambles(in: plainBytes) ?? [])
                    : FastViews.proseWithSentences(plainBytes, scrambles: scrambles)
                let proseBytes = FastViews.skeleton(proseWords)
                let rotated = proseWords.isEmpty || !gates.contains(.rot13) ? [] : FastViews.skeleton(FastViews.rot13(proseWords))
                let plainHits = plain.map { matches($0, plainBytes, s, &truncated) } ?? []
                let proseHits = prose.map { matches($0, proseBytes, s, &truncated) } ?? []
                let rotHits = rotated.isEmpty ? [] : prose.map { matches($0, rotated, s, &truncated) } ?? []
                let lateHits = fromEndMatches(proseBytes, s, &truncated)
                let lateRotHits = rotated.isEmpty ? [] : fromEndMatches(rotated, s, &truncated)
                let proseConcepts = conceptMatches(proseBytes, sentenceBreaks, &truncated)
                let rotConcepts = rotated.isEmpty ? [] : conceptMatches(rotated, sentenceBreaks, &truncated)
                let proseFound = !(proseHits.isEmpty && rotHits.isEmpty && lateHits.isEmpty && lateRotHits.isEmpty
                                     && proseConcepts.isEmpty && rotConcepts.isEmpty)
                var trackedPlain: NormalizedText?
                // Words glued without a case change are cut in the split reading too.
                var gluedBudget = GluedWords.budget(forBytes: plainBytes.count)
                let glued = GluedWords.splits(in: plainBytes, caseVocabulary, budget: &gluedBudget, truncated: &truncated)
                if !casedWords.isEmpty || !glued.isEmpty {
                    for (rule, span) in splitReading(bytes, plainBytes, casedWords, glued: glued, &trackedPlain, s, &truncated) { add(rule, span, nil) }
                }
                // Scrambled words and words cut by punctuation ("ig-nore") are read in one reading.
                let reread = CutWords.merged(scrambled, CutWords.find(in: plainBytes, caseVocabulary))
                if !reread.isEmpty {
                    for (rule, span) in scrambleReading(bytes, plainBytes, reread, &trackedPlain, s, &truncated) { add(rule, span, nil) }
                }
                guard !plainHits.isEmpty || proseFound else { return }
                let plainView = trackedPlain ?? TextNormalizer.plain(bytes, tracking: true)
                let proseView = proseFound ? Optional(TextNormalizer.prose(plainView)) : nil
                if let plain {
                    for hit in refine(plain, plainBytes, plainHits, s) {
                        add(plain.ruleOfPattern[Int(hit.id)], plainView.originalSpan(hit.from, hit.to), nil)
                    }
                }
                if let proseView {
                    for m in proseConcepts { add(m.rule, proseView.originalSpan(m.from, m.to), nil) }
                    for m in rotConcepts { add(m.rule, proseView.originalSpan(m.from, m.to), "rot13") }
                }
                if let proseView {
                    // Prose pattern hits of one database on one view (the prose view or its ROT13),
                    // unless a `not_after` phrase of the rule comes right before the match.
                    func addProse(_ db: ViewDatabase?, _ view: [UInt8], _ hits: [(id: UInt32, from: Int, to: Int)], _ layer: String?) {
                        guard let db else { return }
                        for hit in refine(db, view, hits, s) {
                            let rule = db.ruleOfPattern[Int(hit.id)]
                            if !follows(notAfter[rule], view, hit.from) { add(rule, proseView.originalSpan(hit.from, hit.to), layer) }
                        }
                    }
                    addProse(prose, proseBytes, proseHits, nil)
                    addProse(prose, rotated, rotHits, "rot13")
                    addProse(proseFromEndForward, proseBytes, lateHits, nil)
                    addProse(proseFromEndForward, rotated, lateRotHits, "rot13")
                }
            }
        }
        var findings = merged(order)
        if !piiKinds.isEmpty {
            for (kind, range) in PIIDetectors.find(piiKinds, in: stripped?.bytes ?? bytes, gates: gates) {
                let span = stripped?.originalSpan(range.lowerBound, range.upperBound) ?? range
                findings.append(Finding(ruleID: kind.ruleID, category: kind.category, severity: kind.severity,
                                        start: span.lowerBound, end: span.upperBound, placeholder: kind.placeholder))
            }
        }
        if depth < limits.decodeDepth {
            for segment in Decoders.segments(in: bytes, budget: &budget, gates: gates, base64Ends: base64Ends) {
                for inner in scan(segment.decoded, depth: depth + 1, budget: &budget, truncated: &truncated) {
                    var f = inner
                    f.start = segment.range.lowerBound
                    f.end = segment.range.upperBound
                    f.layers = [segment.layer] + inner.layers
                    findings.append(f)
                }
            }
        }
        return findings
    }

    /// The gates `rawBytes` opens, where its base64 gate matches end, and the raw rules' matches
    /// (ends, as `matches` gives them): one pass of the raw database, which holds the gates that
    /// report once after the rules' patterns (`rawGateBase`), and the base64 gate's byte loop.
    private func gatePass(_ rawBytes: [UInt8], _ scratch: OpaquePointer, _ truncated: inout Bool)
        -> (gates: Gates, base64Ends: [Int]?, rawHits: [(id: UInt32, from: Int, to: Int)]) {
        let located = Gates.scanBase64(rawBytes)
        var gates = located.gates
        var ruleHits: [(id: UInt32, from: Int, to: Int)] = []
        guard let raw else { return (gates, located.base64Ends, ruleHits) }
        let collector = MatchCollector(limit: limits.maxMatches)
        raw.database.scan(rawBytes, scratch: scratch, into: collector)
        if collector.truncated {
            truncated = true
            gates = .all // cut short: a gate not seen yet may still be open
        }
        for hit in collector.hits {
            if Int(hit.id) >= rawGateBase {
                gates.insert(Gates.patterns[Gates.patternsOfDatabase[0][Int(hit.id) - rawGateBase]].0)
            } else {
                ruleHits.append(hit)
            }
        }
        return (gates, located.base64Ends, ruleHits)
    }

    /// The gates a scan of `bytes` opens and its base64 gate ends (tests hold them to `Gates.scan`).
    func gates(of bytes: [UInt8]) -> (gates: Gates, base64Ends: [Int]?) {
        var truncated = false
        return scratch.withScratch { s in
            let pass = gatePass(bytes, s, &truncated)
            return (pass.gates, pass.base64Ends)
        }
    }

    /// The bytes each view's database reads for `bytes` (as `scan` builds them).
    func viewTexts(_ bytes: [UInt8]) -> [RuleView: [UInt8]] {
        let raw = TextNormalizer.stripped(bytes)?.bytes ?? bytes
        let plain = FastViews.plainView(bytes)
        return [.raw: raw, .plain: plain, .prose: FastViews.skeleton(FastViews.prose(plain)),
                .native: TextNormalizer.native(bytes, tracking: false).bytes]
    }

    /// The reversed database of the prose patterns matched from the end (nil when there are none).
    var fromEndDatabase: VectorscanDatabase? { proseFromEnd?.database }

    /// The concept rules' term index (nil when there are none).
    var conceptTermIndex: TermIndex? { conceptTerms }

    /// The compiled database of a view (nil when no rule reads it).
    func database(_ view: RuleView) -> VectorscanDatabase? {
        switch view {
        case .prose: return prose?.database
        case .plain: return plain?.database
        case .raw: return raw?.database
        case .native: return native?.database
        }
    }

    private struct SpanKey: Hashable {
        var rule: Int
        var start: Int
        var end: Int
        var layer: String?
    }

    func matches(_ view: ViewDatabase, _ bytes: [UInt8], _ scratch: OpaquePointer, _ truncated: inout Bool) -> [(id: UInt32, from: Int, to: Int)] {
        let collector = MatchCollector(limit: limits.maxMatches)
        view.database.scan(bytes, scratch: scratch, into: collector)
        if collector.truncated { truncated = true }
        return collector.hits
    }

    /// Matches (ends, as `matches` gives them) of the prose patterns matched from the end. The
    /// reversed patterns run over the reversed view: their match ends there are the starts of
    /// the matches here, so the earliest start is known; the same patterns forward then run from
    /// the word it is in (a space before it, so `\b` reads as in the whole view). No match starts
    /// earlier, so these are all the matches. Ordinary prose has none, and pays one pass over
    /// the reversed view with patterns whose rare words come first there.
    func fromEndMatches(_ bytes: [UInt8], _ scratch: OpaquePointer, _ truncated: inout Bool) -> [(id: UInt32, from: Int, to: Int)] {
        guard let reversed = proseFromEnd, let forward = proseFromEndForward, !bytes.isEmpty else { return [] }
        let collector = MatchCollector(limit: limits.maxMatches)
        let mirrored = [UInt8](unsafeUninitializedCapacity: bytes.count) { out, count in
            bytes.withUnsafeBufferPointer { src in
                for k in 0..<src.count { out[src.count - 1 - k] = src[k] }
            }
            count = bytes.count
        }
        reversed.database.scan(mirrored, scratch: scratch, into: collector)
        guard let latest = collector.hits.map(\.to).max() else { return [] }
        // Cut short, the latest reversed ends (earliest starts) may be missing: run from the top.
        var start = collector.truncated ? 0 : bytes.count - latest
        while start > 0 && bytes[start - 1] != 0x20 { start -= 1 }
        let hits = matches(forward, start == 0 ? bytes : Array(bytes[start...]), scratch, &truncated)
        return start == 0 ? hits : hits.map { ($0.id, $0.from + start, $0.to + start) }
    }

    /// True when one of `phrases` (whole words) ends right before offset `from` of a prose view,
    /// one space apart (`Rule.notAfter`).
    func follows(_ phrases: [[UInt8]], _ view: [UInt8], _ from: Int) -> Bool {
        guard !phrases.isEmpty, from <= view.count else { return false }
        let end = from > 0 && view[from - 1] == 0x20 ? from - 1 : from
        for p in phrases where p.count <= end {
            let start = end - p.count
            guard start == 0 || view[start - 1] == 0x20 else { continue }
            if view[start..<end].elementsEqual(p) { return true }
        }
        return false
    }

    /// Concept rule matches `(rule, from, to)` in a prose view (offsets into `bytes`).
    func conceptMatches(_ bytes: [UInt8], _ sentenceBreaks: [Int], _ truncated: inout Bool) -> [(rule: Int, from: Int, to: Int)] {
        guard let conceptTerms, !bytes.isEmpty else { return [] }
        let padded = TermIndex.padded(bytes)
        let hits = conceptTerms.hits(in: padded, limit: limits.maxMatches, truncated: &truncated)
        guard !hits.isEmpty else { return [] }
        // Offsets in the padded copy are one more than in `bytes`.
        return concepts.matches(hits, in: padded, sentenceBreaks: sentenceBreaks.map { $0 + 1 })
            .map { ($0.rule, $0.from - 1, $0.to - 1) }
    }

    /// Finds where each match starts (the database reports only ends). A match that ends right
    /// after the previous one of the same pattern extends it; otherwise the start is the latest
    /// offset, within the pattern's width, from which the pattern still matches up to the end
    /// (binary search with the same database on the short window). Linear: each search scans at
    /// most `lookback` bytes a logarithmic number of times, and runs cost nothing extra. With
    /// `utf8` (a database in UTF-8 mode), windows start only at character boundaries: the
    /// database must not be given a text that begins inside a character.
    func refine(_ view: ViewDatabase, _ bytes: [UInt8], _ hits: [(id: UInt32, from: Int, to: Int)],
                        _ scratch: OpaquePointer, utf8: Bool = false) -> [(id: UInt32, from: Int, to: Int)] {
        guard !hits.isEmpty else { return [] }
        var out: [(id: UInt32, from: Int, to: Int)] = []
        var last: [UInt32: Int] = [:] // pattern id -> index in out
        let probe = MatchCollector(limit: limits.maxMatches)
        func matchesEnding(_ id: UInt32, from: Int, to: Int) -> Bool {
            probe.hits.removeAll(keepingCapacity: true)
            view.database.scan(Array(bytes[from..<to]), scratch: scratch, into: probe)
            return probe.hits.contains { $0.id == id && $0.to == to - from }
        }
        for hit in hits {
            if let i = last[hit.id], out[i].to >= hit.to - 1, out[i].to < hit.to {
                out[i].to = hit.to
                continue
            }
            if let i = last[hit.id], out[i].to >= hit.to { continue }
            let width = min(view.widths[Int(hit.id)], ViewDatabase.lookback, hit.to)
            // Candidate starts, earliest first: every offset of the window, or its character starts.
            let first = hit.to - width
            let starts: [Int] = utf8 ? (first..<hit.to).filter { bytes[$0] & 0xC0 != 0x80 } : []
            let count = utf8 ? starts.count : width
            guard count > 0 else { continue }
            func start(_ k: Int) -> Int { utf8 ? starts[k] : first + k }
            var lo = 0         // matches (assumed)
            var hi = count - 1 // latest possible start
            if !matchesEnding(hit.id, from: start(hi), to: hit.to) {
                while lo < hi - 1 {
                    let mid = (lo + hi) / 2
                    if matchesEnding(hit.id, from: start(mid), to: hit.to) { lo = mid } else { hi = mid }
                }
            } else {
                lo = hi
            }
            last[hit.id] = out.count
            out.append((hit.id, start(lo), hit.to))
        }
        return out
    }

    /// One finding per rule and run of overlapping matches (Vectorscan reports every end offset).
    private func merged(_ keys: [SpanKey]) -> [Finding] {
        guard !keys.isEmpty else { return [] }
        let sorted = keys.sorted { ($0.rule, $0.layer ?? "", $0.start, $0.end) < ($1.rule, $1.layer ?? "", $1.start, $1.end) }
        var out: [Finding] = []
        var current = sorted[0]
        func emit(_ k: SpanKey) {
            let rule = rules[k.rule]
            out.append(Finding(ruleID: rule.id, category: rule.category, severity: rule.severity, start: k.start, end: k.end,
                               layers: k.layer.map { [$0] } ?? [], placeholder: rule.placeholder))
        }
        for k in sorted.dropFirst() {
            if k.rule == current.rule, k.layer == current.layer, k.start < current.end {
                current.end = max(current.end, k.end)
            } else {
                emit(current)
                current = k
            }
        }
        emit(current)
        return out
    }
}
