import ArgumentParser
import PramagentCLI

/// Entry point: the command tree lives in PramagentCLI (so tests can drive it).
@main
struct PramagentCtl: AsyncParsableCommand {
    static let configuration = RootCommand.configuration
}
