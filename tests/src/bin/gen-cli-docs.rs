//! `gen-cli-docs OUT_DIR`: man pages (section 1, one per command and subcommand) and bash, zsh and fish
//! completions of `linux-patch-api` and `linux-patch-manager`, generated from their clap definitions so
//! every package installs documentation that matches the binary.

use clap::CommandFactory;
use clap_complete::Shell;
use std::path::{Path, PathBuf};

fn main() {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: gen-cli-docs OUT_DIR   (writes OUT_DIR/man/*.1 and OUT_DIR/completions/{{bash,zsh,fish}}/*)");
        std::process::exit(2);
    };
    let commands = [
        linux_patch_api::cli::Args::command(),
        linux_patch_manager::cli::Args::command(),
    ];
    for cmd in commands {
        if let Err(e) = write_all(&out, cmd) {
            eprintln!("gen-cli-docs: {e}");
            std::process::exit(1);
        }
    }
}

fn write_all(out: &Path, mut cmd: clap::Command) -> std::io::Result<()> {
    let name = cmd.get_name().to_owned();
    let man = out.join("man");
    std::fs::create_dir_all(&man)?;
    cmd.build();
    write_man(&man, &name, &cmd)?;
    for (shell, dir, file) in [
        (Shell::Bash, "bash", name.clone()),
        (Shell::Zsh, "zsh", format!("_{name}")),
        (Shell::Fish, "fish", format!("{name}.fish")),
    ] {
        let dir = out.join("completions").join(dir);
        std::fs::create_dir_all(&dir)?;
        let mut f = std::fs::File::create(dir.join(file))?;
        clap_complete::generate(shell, &mut cmd, &name, &mut f);
    }
    Ok(())
}

/// `NAME.1`, then `NAME-SUB.1` for every visible subcommand (recursively), as `man git-commit` does.
fn write_man(dir: &Path, page: &str, cmd: &clap::Command) -> std::io::Result<()> {
    // clap names are &'static str without its `string` feature; this short-lived tool leaks a few bytes.
    let name: &'static str = Box::leak(page.to_owned().into_boxed_str());
    let cmd = cmd.clone().name(name);
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    std::fs::write(dir.join(format!("{page}.1")), buf)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_man(dir, &format!("{page}-{}", sub.get_name()), sub)?;
    }
    Ok(())
}
