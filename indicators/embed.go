package indicators

import (
	"embed"
	"errors"
	"os"
)

// embedded holds the rulebooks shipped in the binary.
//
//go:embed rulebooks/*.json
var embedded embed.FS

// Shipped loads the rulebooks embedded in the binary.
func Shipped() (*Library, error) { return checked(Load(embedded, "rulebooks")) }

// LoadDir loads the rulebooks of a folder alone and checks them together.
func LoadDir(dir string) (*Library, error) { return checked(Load(os.DirFS(dir), ".")) }

func checked(lib *Library, err error) (*Library, error) {
	if err != nil {
		return nil, err
	}
	if errs := lib.Check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lib, nil
}

// Overlay loads the shipped rulebooks with those of an analyst's folder (KOFUKIN_RULEBOOK_DIR) laid
// over them: a file of the folder adds a fiscal year and level, or takes the place of the shipped
// file of the same year and level. The whole is checked (predecessors, roll-ups) together.
func Overlay(dir string) (*Library, error) {
	shipped, err := Shipped()
	if err != nil {
		return nil, err
	}
	own, err := Load(os.DirFS(dir), ".")
	if err != nil {
		return nil, err
	}
	lib := shipped
	for _, rb := range own.All() {
		lib = lib.With(rb)
	}
	if errs := lib.Check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lib, nil
}
