//! The `fwlint` binary.

fn main() -> std::process::ExitCode {
    fwlint::app::main(std::env::args_os().collect())
}
