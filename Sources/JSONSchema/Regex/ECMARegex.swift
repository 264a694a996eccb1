/// A compiled ECMA-262 regular expression that searches in bounded time.
///
/// Patterns without backreferences run with memoised backtracking: each
/// (instruction, position) pair is explored at most once, so a search costs at
/// most O(pattern size x input length), whatever the pattern. Patterns with
/// backreferences need real backtracking; they run under a step budget, and an
/// exhausted budget is reported as `RegexMatchError`, never a hang.
public final class ECMARegex: Sendable {
    public let pattern: String
    let program: RegexProgram
    /// When every match must start with this scalar, other start positions are skipped.
    let firstScalar: UInt32?
    let anchoredAtStart: Bool

    /// Default number of VM steps allowed for one search of a backtracking pattern.
    public static let defaultStepBudget = 1_000_000

    public init(_ pattern: String) throws(RegexSyntaxError) {
        self.pattern = pattern
        var parser = RegexParser(pattern)
        let tree = try parser.parse()
        var compiler = RegexCompiler(captureCount: parser.captureCount, captureNames: parser.captureNames)
        try compiler.compile(tree)
        compiler.program.instructions.append(.match)
        compiler.program.insideLook.append(false)
        self.program = compiler.program
        switch program.instructions.first {
        case .scalar(let c)?: firstScalar = c; anchoredAtStart = false
        case .lineStart?: firstScalar = nil; anchoredAtStart = true
        default: firstScalar = nil; anchoredAtStart = false
        }
    }

    /// True when the pattern is linear-time (no backreferences).
    public var isLinearTime: Bool { !program.usesBackreferences }

    /// True when the pattern matches somewhere in `text` (ECMA-262 `RegExp.prototype.test`).
    public func matches(_ text: String, stepBudget: Int = ECMARegex.defaultStepBudget) throws(RegexMatchError) -> Bool {
        let count = text.unicodeScalars.count
        let program = self.program
        let budget = program.usesBackreferences ? stepBudget : Int.max
        let result: Result<Bool, RegexMatchError> = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count + 1) { input in
            var i = 0
            for scalar in text.unicodeScalars { input[i] = scalar.value; i += 1 }
            let width = count + 1
            let bits = program.instructions.count * width
            // Memoisation is sound only without backreferences (results then depend on (pc, pos) alone).
            let memoise = !program.usesBackreferences && bits <= 256 << 20
            let words = memoise ? (bits + 63) / 64 : 0
            return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: max(1, words)) { visited in
                visited.initialize(repeating: 0)
                var vm = RegexVM(program: program, input: UnsafeBufferPointer(rebasing: input[0..<count]), stepBudget: budget,
                                 memoise: memoise, visited: visited)
                do { return .success(try vm.search(firstScalar: firstScalar, anchored: anchoredAtStart)) } catch {
                    return .failure(RegexMatchError(pattern: pattern))
                }
            }
        }
        return try result.get()
    }
}

/// A search gave up because its step budget ran out (only patterns with backreferences).
public struct RegexMatchError: Error, Sendable, CustomStringConvertible {
    public var pattern: String
    public var description: String { "pattern \(pattern) exceeded its match step limit" }
}

struct RegexVM {
    let program: RegexProgram
    let input: UnsafeBufferPointer<UInt32>
    var stepsLeft: Int
    var slots: [Int]
    let memoise: Bool
    let visited: UnsafeMutableBufferPointer<UInt64>
    let width: Int
    /// Backtracking frames, shared by nested runs (each run pops only its own).
    private var stack: [Frame] = []

    private enum Frame {
        case branch(pc: Int, pos: Int)
        case restore(slot: Int, value: Int)
    }

    init(program: RegexProgram, input: UnsafeBufferPointer<UInt32>, stepBudget: Int, memoise: Bool,
         visited: UnsafeMutableBufferPointer<UInt64>) {
        self.program = program
        self.input = input
        self.stepsLeft = stepBudget
        self.slots = [Int](repeating: -1, count: (program.captureCount + 1) * 2 + program.progressSlots)
        self.width = input.count + 1
        self.memoise = memoise
        self.visited = visited
        stack.reserveCapacity(32)
    }

    mutating func search(firstScalar: UInt32?, anchored: Bool) throws(RegexMatchError) -> Bool {
        if anchored { return try run(pc: 0, pos: 0, requiredEnd: nil) != nil }
        for start in 0...input.count {
            if let c = firstScalar, start == input.count || input[start] != c { continue }
            if try run(pc: 0, pos: start, requiredEnd: nil) != nil { return true }
        }
        return false
    }

    private func isWordAt(_ pos: Int) -> Bool {
        pos >= 0 && pos < input.count && RegexCharSet.isWord(input[pos])
    }

    /// Runs from `pc` at `pos` until `match` or `lookEnd`; returns the end position or nil.
    mutating func run(pc startPC: Int, pos startPos: Int, requiredEnd: Int?) throws(RegexMatchError) -> Int? {
        let base = stack.count
        defer { stack.removeSubrange(base...) }
        var pc = startPC
        var pos = startPos
        let instructions = program.instructions
        while true {
            stepsLeft -= 1
            if stepsLeft < 0 { throw RegexMatchError(pattern: "") }
            var ok = true
            switch instructions[pc] {
            case .match:
                return pos
            case .lookEnd:
                if let requiredEnd, pos != requiredEnd { ok = false } else { return pos }
            case .scalar(let c):
                if pos < input.count && input[pos] == c { pc += 1; pos += 1 } else { ok = false }
            case .set(let s):
                if pos < input.count && program.sets[s].contains(input[pos]) { pc += 1; pos += 1 } else { ok = false }
            case .dot:
                if pos < input.count && !RegexCharSet.isLineTerminator(input[pos]) { pc += 1; pos += 1 } else { ok = false }
            case .split(let first, let second):
                if memoise && !program.insideLook[pc] {
                    let bit = pc * width + pos
                    if visited[bit >> 6] & (1 << UInt64(bit & 63)) != 0 { ok = false; break }
                    visited[bit >> 6] |= 1 << UInt64(bit & 63)
                }
                stack.append(.branch(pc: second, pos: pos))
                pc = first
            case .jump(let target):
                pc = target
            case .save(let slot):
                stack.append(.restore(slot: slot, value: slots[slot]))
                slots[slot] = pos
                pc += 1
            case .lineStart:
                if pos == 0 { pc += 1 } else { ok = false }
            case .lineEnd:
                if pos == input.count { pc += 1 } else { ok = false }
            case .wordBoundary(let negated):
                let boundary = isWordAt(pos - 1) != isWordAt(pos)
                if boundary != negated { pc += 1 } else { ok = false }
            case .backreference(let group):
                let start = slots[group * 2]
                let end = slots[group * 2 + 1]
                if start < 0 || end < 0 || end < start { pc += 1; break } // unset group matches empty
                let length = end - start
                if pos + length <= input.count && input[start..<end].elementsEqual(input[pos..<(pos + length)]) {
                    pos += length; pc += 1
                } else {
                    ok = false
                }
            case .look(let ahead, let negated, let next):
                let saved = slots
                var found = false
                if ahead {
                    found = try run(pc: pc + 1, pos: pos, requiredEnd: nil) != nil
                } else {
                    var start = pos
                    while start >= 0 && !found {
                        found = try run(pc: pc + 1, pos: start, requiredEnd: pos) != nil
                        start -= 1
                    }
                }
                if negated || !found { slots = saved }
                if found != negated { pc = next } else { ok = false }
            case .progressMark(let slot):
                let index = (program.captureCount + 1) * 2 + slot
                stack.append(.restore(slot: index, value: slots[index]))
                slots[index] = pos
                pc += 1
            case .progressCheck(let slot):
                if !memoise && slots[(program.captureCount + 1) * 2 + slot] == pos { ok = false } else { pc += 1 }
            }
            if ok { continue }
            // Backtrack (never below this run's own frames).
            var resumed = false
            while stack.count > base {
                switch stack.removeLast() {
                case .restore(let slot, let value):
                    slots[slot] = value
                case .branch(let p, let q):
                    pc = p; pos = q; resumed = true
                }
                if resumed { break }
            }
            if !resumed { return nil }
        }
    }
}
