//! The application's own tests, in one binary so that the two kinds run side
//! by side (the black-box tests mostly wait on their server process, which
//! leaves the cores to the in-process ones):
//! - `app`: the whole application in this process, over HTTP;
//! - `blackbox`: the real `custodian` binary, for what only a process shows.
//!
//! Pick one kind with `cargo test -p tenant-api --test suite app::` (or `blackbox::`).

mod app;
mod blackbox;
