//! The customers most end-to-end tests run against, built in code through the API.
