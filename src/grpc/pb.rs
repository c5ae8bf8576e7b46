//! The generated protobuf and tonic code for `entitlements.v1`, and the descriptor set
//! the reflection service serves. Generated code stays generated: never edit it here.

#![allow(
    clippy::all,
    missing_docs,
    unreachable_pub,
    missing_debug_implementations
)]

tonic::include_proto!("entitlements.v1");

/// The encoded file descriptor set of every proto file, with comments.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/entitlements_descriptor.bin"));
