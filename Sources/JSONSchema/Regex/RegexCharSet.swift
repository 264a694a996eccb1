/// A character class: a union of items, possibly negated.
struct RegexCharSet: Sendable {
    indirect enum Item: Sendable {
        case range(UInt32, UInt32)
        case digit
        case word
        case space
        case property(UnicodeProperty)
        case negatedSet(RegexCharSet)
    }
    var items: [Item]
    var negated: Bool

    func contains(_ c: UInt32) -> Bool {
        var hit = false
        for item in items {
            if RegexCharSet.matches(item, c) { hit = true; break }
        }
        return hit != negated
    }

    static func matches(_ item: Item, _ c: UInt32) -> Bool {
        switch item {
        case .range(let lo, let hi): return c >= lo && c <= hi
        case .digit: return c >= 0x30 && c <= 0x39
        case .word: return isWord(c)
        case .space: return isSpace(c)
        case .property(let p): return p.contains(c)
        case .negatedSet(let s): return s.contains(c)
        }
    }

    static func isWord(_ c: UInt32) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
    }

    /// ECMA-262 WhiteSpace and LineTerminator code points.
    static func isSpace(_ c: UInt32) -> Bool {
        switch c {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            return true
        default:
            return false
        }
    }

    static func isLineTerminator(_ c: UInt32) -> Bool {
        c == 0x0A || c == 0x0D || c == 0x2028 || c == 0x2029
    }
}

/// A `\p{...}` property: a General_Category (with its aliases) or a supported binary property.
enum UnicodeProperty: Sendable {
    case categories([Unicode.GeneralCategory])
    case any
    case ascii
    case assigned
    case alphabetic
    case whiteSpace
    case uppercase
    case lowercase
    case emoji

    init?(expression: String) {
        var name = expression
        if let eq = expression.firstIndex(of: "=") {
            let key = expression[..<eq]
            guard key == "General_Category" || key == "gc" else { return nil } // Script is not supported
            name = String(expression[expression.index(after: eq)...])
            guard let cats = UnicodeProperty.categoryAliases[name] else { return nil }
            self = .categories(cats)
            return
        }
        if let cats = UnicodeProperty.categoryAliases[name] { self = .categories(cats); return }
        switch name {
        case "Any": self = .any
        case "ASCII": self = .ascii
        case "Assigned": self = .assigned
        case "Alphabetic", "Alpha": self = .alphabetic
        case "White_Space", "space": self = .whiteSpace
        case "Uppercase", "Upper": self = .uppercase
        case "Lowercase", "Lower": self = .lowercase
        case "Emoji": self = .emoji
        default: return nil
        }
    }

    func contains(_ c: UInt32) -> Bool {
        guard let s = Unicode.Scalar(c) else {
            // Surrogate code points have category Cs.
            if case .categories(let cats) = self { return cats.contains(.surrogate) }
            if case .any = self { return true }
            return false
        }
        switch self {
        case .categories(let cats): return cats.contains(s.properties.generalCategory)
        case .any: return true
        case .ascii: return c < 0x80
        case .assigned: return s.properties.generalCategory != .unassigned
        case .alphabetic: return s.properties.isAlphabetic
        case .whiteSpace: return s.properties.isWhitespace
        case .uppercase: return s.properties.isUppercase
        case .lowercase: return s.properties.isLowercase
        case .emoji: return s.properties.isEmoji
        }
    }

    /// General_Category values and their aliases (Unicode PropertyValueAliases.txt).
    static let categoryAliases: [String: [Unicode.GeneralCategory]] = {
        let letters: [Unicode.GeneralCategory] = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter]
        let marks: [Unicode.GeneralCategory] = [.nonspacingMark, .spacingMark, .enclosingMark]
        let numbers: [Unicode.GeneralCategory] = [.decimalNumber, .letterNumber, .otherNumber]
        let punctuation: [Unicode.GeneralCategory] = [.connectorPunctuation, .dashPunctuation, .openPunctuation,
                                                      .closePunctuation, .initialPunctuation, .finalPunctuation, .otherPunctuation]
        let symbols: [Unicode.GeneralCategory] = [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]
        let separators: [Unicode.GeneralCategory] = [.spaceSeparator, .lineSeparator, .paragraphSeparator]
        let others: [Unicode.GeneralCategory] = [.control, .format, .surrogate, .privateUse, .unassigned]
        var table: [String: [Unicode.GeneralCategory]] = [:]
        func add(_ cats: [Unicode.GeneralCategory], _ names: String...) { for n in names { table[n] = cats } }
        add(letters, "L", "Letter")
        add([.uppercaseLetter, .lowercaseLetter, .titlecaseLetter], "LC", "Cased_Letter")
        add([.uppercaseLetter], "Lu", "Uppercase_Letter")
        add([.lowercaseLetter], "Ll", "Lowercase_Letter")
        add([.titlecaseLetter], "Lt", "Titlecase_Letter")
        add([.modifierLetter], "Lm", "Modifier_Letter")
        add([.otherLetter], "Lo", "Other_Letter")
        add(marks, "M", "Mark", "Combining_Mark")
        add([.nonspacingMark], "Mn", "Nonspacing_Mark")
        add([.spacingMark], "Mc", "Spacing_Mark")
        add([.enclosingMark], "Me", "Enclosing_Mark")
        add(numbers, "N", "Number")
        add([.decimalNumber], "Nd", "Decimal_Number", "digit")
        add([.letterNumber], "Nl", "Letter_Number")
        add([.otherNumber], "No", "Other_Number")
        add(punctuation, "P", "Punctuation", "punct")
        add([.connectorPunctuation], "Pc", "Connector_Punctuation")
        add([.dashPunctuation], "Pd", "Dash_Punctuation")
        add([.openPunctuation], "Ps", "Open_Punctuation")
        add([.closePunctuation], "Pe", "Close_Punctuation")
        add([.initialPunctuation], "Pi", "Initial_Punctuation")
        add([.finalPunctuation], "Pf", "Final_Punctuation")
        add([.otherPunctuation], "Po", "Other_Punctuation")
        add(symbols, "S", "Symbol")
        add([.mathSymbol], "Sm", "Math_Symbol")
        add([.currencySymbol], "Sc", "Currency_Symbol")
        add([.modifierSymbol], "Sk", "Modifier_Symbol")
        add([.otherSymbol], "So", "Other_Symbol")
        add(separators, "Z", "Separator")
        add([.spaceSeparator], "Zs", "Space_Separator")
        add([.lineSeparator], "Zl", "Line_Separator")
        add([.paragraphSeparator], "Zp", "Paragraph_Separator")
        add(others, "C", "Other")
        add([.control], "Cc", "Control", "cntrl")
        add([.format], "Cf", "Format")
        add([.surrogate], "Cs", "Surrogate")
        add([.privateUse], "Co", "Private_Use")
        add([.unassigned], "Cn", "Unassigned")
        return table
    }()
}
