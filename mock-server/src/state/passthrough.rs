//! Password migration through an upstream (conventions C-14.5).
