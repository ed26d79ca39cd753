package parse

// Format names a feed file format. The parsers helper owns the constants
// and the registry; see README.md in this folder.
type Format string
