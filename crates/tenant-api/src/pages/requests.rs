//! Pages: requests.
