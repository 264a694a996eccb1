import CVectorscan
import Foundation

/// Where a scan's time goes, for rule authors and benchmarks: each view's database, the gate
/// pass, and (optionally) every rule compiled alone and scanned over the same view text.
public struct RuleCostProfile: Sendable {
    public struct Entry: Sendable {
        /// A view name (`prose`, `plain`, `raw` with the gates that report once, `native`,
        /// `prose from end`, `concept terms`), `gate databases` (the gates' reference databases,
        /// which scans no longer run), `base64 gate loop`, or a rule id.
        public var name: String
        public var view: String
        /// Median microseconds of one scan of the text.
        public var micros: Double
        public var matches: Int
        /// Bytes of the compiled database (0 for a rule timed alone).
        public var bytes: Int = 0
    }
    /// One entry per view database and the gate pass.
    public var views: [Entry]
    /// One entry per rule, and per pattern of rules with several (`id#index`), slowest first;
    /// empty unless asked for.
    public var rules: [Entry]
}

extension RuleEngine {
    /// Median microseconds of `runs` scans of `bytes` with `db` alone, and its match count.
    func medianScan(_ db: VectorscanDatabase, _ bytes: [UInt8], runs: Int) throws -> (micros: Double, matches: Int) {
        let scratch = try ScratchPool(databases: [db])
        return scratch.withScratch { s in
            var samples: [Double] = []
            var count = 0
            for _ in 0..<max(1, runs) {
                let collector = MatchCollector(limit: limits.maxMatches)
                let t0 = DispatchTime.now().uptimeNanoseconds
                db.scan(bytes, scratch: s, into: collector)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
                count = collector.hits.count
            }
            return (samples.sorted()[samples.count / 2], count)
        }
    }

    /// Times the databases of this engine on `text` (median of `runs` scans each); with
    /// `perRule`, also compiles every rule alone and times it on its view's text (slow: one
    /// Vectorscan compile per rule).
    public func costProfile(of text: [UInt8], runs: Int = 20, perRule: Bool = false) throws -> RuleCostProfile {
        let texts = viewTexts(text)
        func time(_ db: VectorscanDatabase, _ bytes: [UInt8]) throws -> (Double, Int) { try medianScan(db, bytes, runs: runs) }
        var views: [RuleCostProfile.Entry] = []
        var gateMicros = 0.0, gateHits = 0, gateBytes = 0
        for db in Gates.databases {
            let (micros, hits) = try time(db, texts[.raw]!)
            gateMicros += micros
            gateHits += hits
            gateBytes += db.size
        }
        views.append(.init(name: "gate databases", view: "raw", micros: gateMicros, matches: gateHits, bytes: gateBytes))
        // What scans run instead of the base64 gate's database.
        var loop: [Double] = []
        var ends = 0
        for _ in 0..<max(1, runs) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            ends = Base64Gate.ends(texts[.raw]!, limit: Gates.maxEnds)?.count ?? -1
            loop.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }
        views.append(.init(name: "base64 gate loop", view: "raw", micros: loop.sorted()[loop.count / 2], matches: ends))
        for view in RuleView.allCases {
            guard let db = database(view) else { continue }
            let (micros, hits) = try time(db, texts[view]!)
            views.append(.init(name: view.rawValue, view: view.rawValue, micros: micros, matches: hits, bytes: db.size))
        }
        if let db = fromEndDatabase {
            let (micros, hits) = try time(db, Array(texts[.prose]!.reversed()))
            views.append(.init(name: "prose from end", view: "prose", micros: micros, matches: hits, bytes: db.size))
        }
        if let index = conceptTermIndex {
            // The view the index reads in a scan, timed like a database.
            let padded = TermIndex.padded(texts[.prose]!)
            var samples: [Double] = []
            var hits = 0
            for _ in 0..<max(1, runs) {
                var truncated = false
                let t0 = DispatchTime.now().uptimeNanoseconds
                hits = index.hits(in: padded, limit: limits.maxMatches, truncated: &truncated).count
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
            }
            views.append(.init(name: "concept terms", view: "prose", micros: samples.sorted()[samples.count / 2], matches: hits,
                               bytes: index.tableBytes))
        }
        var perRuleEntries: [RuleCostProfile.Entry] = []
        if perRule {
            for (i, (_, pattern)) in Gates.patterns.enumerated() {
                let db = try VectorscanDatabase(patterns: [pattern], flags: [Gates.flags(i)])
                let (micros, hits) = try time(db, texts[.raw]!)
                perRuleEntries.append(.init(name: "gate \(i): \(pattern.prefix(40))", view: "raw", micros: micros, matches: hits, bytes: db.size))
            }
            // The concept terms are one index, already timed above: listed with the rules too.
            if let terms = views.first(where: { $0.name == "concept terms" }) {
                perRuleEntries.append(.init(name: "concept terms (\(concepts.terms.count))", view: "prose", micros: terms.micros,
                                            matches: terms.matches, bytes: terms.bytes))
            }
            for rule in rules where rule.concept == nil {
                let compiled = rule.patterns.map { PatternDialect.compiled($0, view: rule.view) }
                let patterns = compiled.map(\.text)
                let flags = compiled.map(\.flags)
                let db = try VectorscanDatabase(patterns: patterns, flags: flags)
                let (micros, hits) = try time(db, texts[rule.view]!)
                perRuleEntries.append(.init(name: rule.id, view: rule.view.rawValue, micros: micros, matches: hits, bytes: db.size))
                // Rules of several patterns: each pattern alone too (named `rule#index`).
                if patterns.count > 1 {
                    for (i, pattern) in patterns.enumerated() {
                        let one = try VectorscanDatabase(patterns: [pattern], flags: [flags[i]])
                        let (m, h) = try time(one, texts[rule.view]!)
                        perRuleEntries.append(.init(name: "\(rule.id)#\(i)", view: rule.view.rawValue, micros: m, matches: h, bytes: one.size))
                    }
                }
            }
            perRuleEntries.sort { $0.micros > $1.micros }
        }
        return RuleCostProfile(views: views, rules: perRuleEntries)
    }
}

extension RuleEngine {
    /// The prose database against one compiled without `dropped` (rule ids), timed alternately
    /// on the same prose view (`runs` pairs, medians): what re-expressing those rules could save.
    public func proseWithout(_ dropped: Set<String>, on text: [UInt8], runs: Int = 201) throws -> (full: Double, reduced: Double, patterns: Int) {
        let kept = rules.filter { $0.view == .prose && $0.concept == nil && !dropped.contains($0.id) }
        // Patterns matched from the end are in their own database, not in the prose one.
        let patterns = kept.flatMap { rule in rule.patterns.indices.filter { !rule.fromEnd.contains($0) }.map { PatternDialect.prose(rule.patterns[$0]) } }
        guard let full = database(.prose), !patterns.isEmpty else { return (0, 0, 0) }
        let reduced = try VectorscanDatabase(patterns: patterns, flags: patterns.map { _ in UInt32(HS_FLAG_DOTALL | HS_FLAG_CASELESS) })
        let bytes = viewTexts(text)[.prose]!
        let scratch = try ScratchPool(databases: [full, reduced])
        return scratch.withScratch { s in
            var a: [Double] = []
            var b: [Double] = []
            for _ in 0..<max(1, runs) {
                for (db, into) in [(full, 0), (reduced, 1)] {
                    let collector = MatchCollector(limit: limits.maxMatches)
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    db.scan(bytes, scratch: s, into: collector)
                    let micros = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000
                    if into == 0 { a.append(micros) } else { b.append(micros) }
                }
            }
            return (a.sorted()[a.count / 2], b.sorted()[b.count / 2], patterns.count)
        }
    }
}

/// One prose pattern timed alone both ways (see `RuleEngine.orientations`).
public struct PatternOrientation: Sendable {
    public var ruleID: String
    /// Index of the pattern in its rule (0-based).
    public var pattern: Int
    /// Median microseconds of the pattern alone over the prose view, and reversed over the
    /// reversed view (nil when it cannot be reversed).
    public var forward: Double
    public var reversed: Double?
    /// Whether the rule matches this pattern from the end now.
    public var fromEnd: Bool
}

extension RuleEngine {
    /// Times every prose pattern alone, forward over the prose view of `text` and reversed over
    /// the reversed view: which patterns are cheaper matched from the end (`Rule.fromEnd`).
    /// Slow: two Vectorscan compiles per pattern.
    public func orientations(of text: [UInt8], runs: Int = 15) throws -> [PatternOrientation] {
        let view = viewTexts(text)[.prose]!
        let mirrored = Array(view.reversed())
        func time(_ pattern: String, _ bytes: [UInt8]) throws -> Double {
            let db = try VectorscanDatabase(patterns: [pattern], flags: [UInt32(HS_FLAG_DOTALL | HS_FLAG_CASELESS)])
            return try medianScan(db, bytes, runs: runs).micros
        }
        var out: [PatternOrientation] = []
        for rule in rules where rule.view == .prose && rule.concept == nil {
            for (i, pattern) in rule.patterns.enumerated() {
                let forward = PatternDialect.prose(pattern)
                let reversed = try? PatternReversal.reversed(forward)
                out.append(PatternOrientation(ruleID: rule.id, pattern: i, forward: try time(forward, view),
                                              reversed: try reversed.map { try time($0, mirrored) }, fromEnd: rule.fromEnd.contains(i)))
            }
        }
        return out
    }
}
