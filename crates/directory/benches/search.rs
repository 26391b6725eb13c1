//! Uncached search latency at 2,000 and 20,000 outlets (placeholder until written).
fn main() {}
