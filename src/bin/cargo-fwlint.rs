//! `cargo fwlint`: the same program as a cargo subcommand for Rust workspaces.

fn main() -> std::process::ExitCode {
    fwlint::app::main(std::env::args_os().collect())
}
