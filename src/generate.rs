//! Shell completions (clap_complete) and man pages (clap_mangen), made
//! from the command line's own definition so they cannot drift from it.
//! The repository keeps them generated in `completions/` and `man/`
//! (`scripts/generate-docs`), for packagers and for users without msb on
//! their PATH yet; a test checks that they are current.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;

/// The shells `msb completions` writes for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl Shell {
    fn generator(self) -> clap_complete::Shell {
        match self {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }
}

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell.generator(), &mut cmd, "msb", &mut out);
    out
}

/// Every man page: `msb.1`, then one per subcommand (`msb-migrate.1`,
/// `msb-report-merge.1`), as (file name, roff).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut pages = Vec::new();
    add_pages(&cmd, "msb", &mut pages)?;
    Ok(pages)
}

fn add_pages(
    cmd: &clap::Command,
    name: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .title(name.to_string())
        .source(format!("msb {}", env!("CARGO_PKG_VERSION")))
        .render(&mut out)?;
    pages.push((format!("{name}.1"), out));
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        add_pages(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}

/// Write every man page into `dir`.
pub fn write_man_pages(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for (name, roff) in man_pages()? {
        std::fs::write(dir.join(&name), roff)?;
        names.push(name);
    }
    Ok(names)
}
