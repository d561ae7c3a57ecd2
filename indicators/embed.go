package indicators

import (
	"embed"
	"os"
)

// embedded holds the rulebooks shipped in the binary.
//
//go:embed rulebooks/*.json
var embedded embed.FS

// Shipped loads the rulebooks embedded in the binary.
func Shipped() (*Library, error) { return Load(embedded, "rulebooks") }

// LoadDir loads the rulebooks of an analyst's folder (KOFUKIN_RULEBOOK_DIR) instead of the shipped
// ones.
func LoadDir(dir string) (*Library, error) { return Load(os.DirFS(dir), ".") }
