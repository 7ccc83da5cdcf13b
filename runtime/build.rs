//! Records the target triple so that the runtime can ask the `cc` crate for the right compiler.
fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=RGENN_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
