//! `cargo fwlint`: the same program as a cargo subcommand for Rust workspaces.

// Parsing allocates many small AST nodes; mimalloc makes that markedly
// cheaper than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    fwlint::app::main(std::env::args_os().collect())
}
