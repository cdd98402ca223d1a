"""A project's cases: requests to send to every worker, in the TOML format of docs/reference.md (load), what each one
is once read (model), written back as TOML (write: the fuzzer's finds, a HAR file's requests), imported from a
browser's HAR export (har)."""
