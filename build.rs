//! Compiles `proto/` with protox (no protoc needed) into tonic/prost code, and writes the
//! file descriptor set (with comments) that the reflection service serves.

use std::error::Error;
use std::path::PathBuf;

use prost::Message;

const PROTOS: [&str; 7] = [
    "entitlements/v1/types.proto",
    "entitlements/v1/catalog_service.proto",
    "entitlements/v1/account_service.proto",
    "entitlements/v1/contract_service.proto",
    "entitlements/v1/entitlement_service.proto",
    "entitlements/v1/sla_service.proto",
    "entitlements/v1/case_service.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=proto");
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(PROTOS)?;
    let fds = compiler.file_descriptor_set();
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("entitlements_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}
