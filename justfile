# iolab recipes. `just --list` shows them; every recipe is a thin wrapper
# around the `iolab` binary, so a machine without `just` runs the same with
# `cargo run --release -- <subcommand>`.

iolab := "cargo run --release --quiet --"

# The whole lab at the default scale: corpora, every experiment, report, claims
# (bench-all installs the Python reference programs' packages when missing).
bench-all *ARGS:
    {{iolab}} bench-all {{ARGS}}

# The whole lab at the quick scale (about two minutes).
quick *ARGS:
    {{iolab}} bench-all --scale quick {{ARGS}}

# The full crossover sweep alone: the tutorials' patterns on emulated storage
# swept from 0 to 2 ms per operation (opt-in: far longer than the quick
# crossover `quick` runs; `bench-all --storage-sweep` adds it to bench-all;
# needs root and /dev/fuse).
bench-storage *ARGS:
    {{iolab}} run experiments/extra/storage-sweep.toml --scale quick {{ARGS}}

# The test suite (what CI runs).
test:
    cargo test --release

# Recommend worker counts for this machine.
tune *ARGS:
    {{iolab}} tune {{ARGS}}

# Render a run folder's report (default: the newest run).
report RUN="":
    {{iolab}} report {{ if RUN == "" { `ls -d results/2*/ | tail -1` } else { RUN } }}

# Compare two run folders.
compare A B *ARGS:
    {{iolab}} compare {{A}} {{B}} {{ARGS}}

# Judge the tutorials' claims against a run (default: the newest run).
claims RUN="":
    {{iolab}} claims {{ if RUN == "" { `ls -d results/2*/ | tail -1` } else { RUN } }}

# Create the default corpus.
corpus SCALE="default":
    {{iolab}} corpus create --scale {{SCALE}}

# Install the Python reference programs' packages into scripts/python/.venv.
python-setup:
    scripts/python-setup

# Everything CI checks.
ci:
    bash .ci/run
