//! The `fwlint` binary.

#[global_allocator]
static ALLOCATOR: fwlint::alloc::Allocator = fwlint::alloc::Allocator;

fn main() -> std::process::ExitCode {
    fwlint::alloc::init();
    fwlint::app::main(std::env::args_os().collect())
}
