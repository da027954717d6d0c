//! Entry point of `linux-patch-manager`: everything happens in `cli::main`, which returns the exit code.

fn main() {
    std::process::exit(linux_patch_manager::cli::main());
}
