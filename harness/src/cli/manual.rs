//! The man page and the shell completions, generated from the command line
//! this binary parses (`cli::knobs::command`): iolab's own flags plus the
//! flags of every registered strategy's and workload's knobs, so a user's binary
//! documents its own. `iolab man` prints one page (`iolab`'s synopsis and
//! options, then one section per subcommand); `iolab completions SHELL`
//! prints the shell's script.
//!
//! Owns: the layout of that page, the binary's name in both. Does not own:
//! the flags and their help (`cli`), the rendering of roff and of the
//! scripts (`clap_mangen`, `clap_complete`).

use std::io::{self, Write};
use std::path::Path;

use clap_complete::Shell;
use clap_mangen::roff::{roman, Roff};
use clap_mangen::Man;

/// Write the man page (roff) of this binary and all its subcommands to `out`.
///
/// # Errors
/// Writing to `out` failed, or a user knob's key clashes with a flag (which
/// start-up refuses first).
pub fn man(out: &mut dyn Write) -> anyhow::Result<()> {
    let mut page = Vec::new();
    render(&command()?, &mut page)?;
    // Each rendered part repeats roff's preamble (the apostrophe string);
    // the page needs it once.
    let mut seen = Vec::new();
    for line in String::from_utf8_lossy(&page).lines() {
        if PREAMBLE.contains(&line) {
            if seen.contains(&line) {
                continue;
            }
            seen.push(line);
        }
        writeln!(out, "{}", ascii(line))?;
    }
    Ok(())
}

/// `line` with every character outside ASCII as roff's `\[uXXXX]`, so the
/// page reads the same whatever encoding `man` assumes (the help text has
/// `×`, `…`, `—`).
fn ascii(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("\\[u{:04X}]", u32::from(c))
            }
        })
        .collect()
}

/// The lines the `roff` crate writes before every rendered part.
const PREAMBLE: [&str; 2] = [r".ie \n(.g .ds Aq \(aq", ".el .ds Aq '"];

/// The page, each part as `clap_mangen` renders it.
fn render(command: &clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let page = Man::new(command.clone());
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    let mut roff = Roff::default();
    roff.control("SH", ["COMMANDS"]);
    roff.text([roman(format!(
        "Each command has a section below; {} COMMAND --help prints the same.",
        command.get_name()
    ))]);
    roff.to_writer(out)?;
    subcommand_sections(command, command.get_name(), out)?;
    page.render_version_section(out)?;
    let mut roff = Roff::default();
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "The manual: README.md and the pages of docs/ in iolab's source \
         (results files, experiment files, workloads and strategies, safety, \
         calibration, MPI, the library).",
    )]);
    roff.to_writer(out)?;
    Ok(())
}

/// Write the completion script of `shell` for this binary to `out`.
///
/// # Errors
/// A user knob's key clashes with a flag (which start-up refuses first).
pub fn completions(shell: Shell, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut command = command()?;
    let name = command.get_name().to_string();
    clap_complete::generate(shell, &mut command, name, out);
    Ok(())
}

/// The command line as this binary parses it, named after the binary (a
/// user's binary is not `iolab`), built so every subcommand knows its full
/// name (`iolab corpus create`).
fn command() -> anyhow::Result<clap::Command> {
    let name = std::env::args_os()
        .next()
        .and_then(|arg0| {
            Path::new(&arg0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "iolab".to_string());
    let mut command = super::knobs::command()?
        .name(name.clone())
        .bin_name(name)
        .disable_help_subcommand(true);
    command.build();
    Ok(command)
}

/// One section per visible subcommand of `parent`, depth first: its name,
/// what it does, its synopsis and its options.
fn subcommand_sections(parent: &clap::Command, path: &str, out: &mut dyn Write) -> io::Result<()> {
    for sub in parent.get_subcommands().filter(|s| !s.is_hide_set()) {
        let path = format!("{path} {}", sub.get_name());
        let mut roff = Roff::default();
        roff.control("SH", [path.to_uppercase().as_str()]);
        roff.to_writer(out)?;
        let page = Man::new(sub.clone());
        for section in [
            Man::render_description_section,
            Man::render_synopsis_section,
            Man::render_options_section,
        ] {
            let mut text = Vec::new();
            section(&page, &mut text)?;
            out.write_all(demoted(&String::from_utf8_lossy(&text)).as_bytes())?;
        }
        subcommand_sections(sub, &path, out)?;
    }
    Ok(())
}

/// A section of a subcommand's own page as part of the one page: its
/// description without a heading, its other headings one level down.
fn demoted(section: &str) -> String {
    section
        .lines()
        .filter(|line| *line != ".SH DESCRIPTION")
        .map(|line| match line.strip_prefix(".SH ") {
            Some(title) => format!(".SS {title}\n"),
            None => format!("{line}\n"),
        })
        .collect()
}
