/// Instructions of the matching program compiled from a `RegexNode`.
enum RegexInstruction: Sendable {
    case scalar(UInt32)
    case set(Int)
    case dot
    /// Try `first`, and on failure `second`.
    case split(first: Int, second: Int)
    case jump(Int)
    case save(Int)
    case lineStart
    case lineEnd
    case wordBoundary(negated: Bool)
    case backreference(Int)
    /// Lookaround whose body runs from the next instruction to a `lookEnd`; continues at `next`.
    case look(ahead: Bool, negated: Bool, next: Int)
    case lookEnd
    /// Records the position at the start of a loop iteration (backtracking mode only).
    case progressMark(slot: Int)
    /// Fails an iteration that consumed nothing (backtracking mode only).
    case progressCheck(slot: Int)
    case match
}

struct RegexProgram: Sendable {
    var instructions: [RegexInstruction] = []
    var sets: [RegexCharSet] = []
    var captureCount = 0
    var progressSlots = 0
    var usesBackreferences = false
    /// Instructions inside lookaround bodies are not memoised.
    var insideLook: [Bool] = []
}

struct RegexCompiler {
    static let maxInstructions = 20_000

    var program = RegexProgram()
    let captureNames: [String: Int]
    private var lookDepth = 0

    init(captureCount: Int, captureNames: [String: Int]) {
        program.captureCount = captureCount
        self.captureNames = captureNames
    }

    private mutating func emit(_ inst: RegexInstruction) throws(RegexSyntaxError) -> Int {
        if program.instructions.count >= RegexCompiler.maxInstructions {
            throw RegexSyntaxError(message: "pattern is too large (more than \(RegexCompiler.maxInstructions) instructions after expanding repetitions)", offset: 0)
        }
        program.instructions.append(inst)
        program.insideLook.append(lookDepth > 0)
        return program.instructions.count - 1
    }

    private mutating func patch(_ at: Int, _ inst: RegexInstruction) { program.instructions[at] = inst }
    private var here: Int { program.instructions.count }

    mutating func compile(_ node: RegexNode) throws(RegexSyntaxError) {
        switch node {
        case .empty:
            break
        case .scalar(let c):
            _ = try emit(.scalar(c))
        case .set(let s):
            program.sets.append(s)
            _ = try emit(.set(program.sets.count - 1))
        case .dot:
            _ = try emit(.dot)
        case .lineStart:
            _ = try emit(.lineStart)
        case .lineEnd:
            _ = try emit(.lineEnd)
        case .wordBoundary(let negated):
            _ = try emit(.wordBoundary(negated: negated))
        case .group(let inner, let capture):
            if let capture { _ = try emit(.save(capture * 2)) }
            try compile(inner)
            if let capture { _ = try emit(.save(capture * 2 + 1)) }
        case .concat(let nodes):
            for n in nodes { try compile(n) }
        case .alternation(let alternatives):
            var jumpsToEnd: [Int] = []
            for (k, alt) in alternatives.enumerated() {
                if k < alternatives.count - 1 {
                    let split = try emit(.jump(0))
                    try compile(alt)
                    jumpsToEnd.append(try emit(.jump(0)))
                    patch(split, .split(first: split + 1, second: here))
                } else {
                    try compile(alt)
                }
            }
            for j in jumpsToEnd { patch(j, .jump(here)) }
        case .repetition(let inner, let min, let max, let greedy):
            try compileRepetition(inner, min: min, max: max, greedy: greedy)
        case .backreference(let n):
            program.usesBackreferences = true
            _ = try emit(.backreference(n))
        case .namedBackreference(let name):
            program.usesBackreferences = true
            _ = try emit(.backreference(captureNames[name] ?? 0))
        case .look(let inner, let ahead, let negated):
            let start = try emit(.jump(0))
            lookDepth += 1
            try compile(inner)
            _ = try emit(.lookEnd)
            lookDepth -= 1
            patch(start, .look(ahead: ahead, negated: negated, next: here))
        }
    }

    private mutating func split(_ at: Int, body: Int, exit: Int, greedy: Bool) {
        patch(at, greedy ? .split(first: body, second: exit) : .split(first: exit, second: body))
    }

    private mutating func compileRepetition(_ inner: RegexNode, min: Int, max: Int?, greedy: Bool) throws(RegexSyntaxError) {
        if min > RegexCompiler.maxInstructions || (max ?? 0) > RegexCompiler.maxInstructions {
            throw RegexSyntaxError(message: "repetition count too large", offset: 0)
        }
        for _ in 0..<min { try compile(inner) }
        if let max {
            var splits: [Int] = []
            for _ in min..<Swift.max(min, max) {
                splits.append(try emit(.jump(0)))
                try compile(inner)
            }
            for s in splits { split(s, body: s + 1, exit: here, greedy: greedy) }
        } else {
            let loop = try emit(.jump(0))
            let slot = program.progressSlots
            program.progressSlots += 1
            _ = try emit(.progressMark(slot: slot))
            try compile(inner)
            _ = try emit(.progressCheck(slot: slot))
            _ = try emit(.jump(loop))
            split(loop, body: loop + 1, exit: here, greedy: greedy)
        }
    }
}
