//! Entry point of `linux-patch-manager`: the command line (`cli::main`) with the HTTPS server wired in for
//! `serve`; returns the exit code. The one place above every layer.

fn main() {
    std::process::exit(linux_patch_manager::cli::main(
        linux_patch_manager::http::server::serve,
    ));
}
