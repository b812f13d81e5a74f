//! Entry points for fuzz targets and property tests.
