import ArgumentParser
import PramagentCLI

do {
    var command = try RootCommand.parseAsRoot()
    if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
    } else {
        try command.run()
    }
} catch {
    RootCommand.exit(withError: error)
}
