//! Entry point of `linux-patch-api`: everything happens in `cli::main`, which returns the exit code.

fn main() {
    std::process::exit(linux_patch_api::cli::main());
}
