/// Formats that can be asserted.
enum FormatKind: String, Sendable {
    case dateTime = "date-time", date, time, duration, email, idnEmail = "idn-email", hostname
    case idnHostname = "idn-hostname", ipv4, ipv6, uri, uriReference = "uri-reference", iri
    case iriReference = "iri-reference", uuid, jsonPointer = "json-pointer"
    case relativeJSONPointer = "relative-json-pointer", regex, uriTemplate = "uri-template"

    /// Non-strings always pass: formats constrain strings only.
    func admits(_ value: JSONValue) -> Bool {
        guard case .string(let s) = value else { return true }
        return FormatCheckers.check(self, s)
    }
}
