package web

import "testing"

func TestBlockPageLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                        "en",
		"de-DE,de;q=0.9,en;q=0.8": "de",
		"fr-FR,fr;q=0.9,es;q=0.8": "es",
		"pt-BR,pt;q=0.9":          "en",
		"EN-gb":                   "en",
		"es-419;q=0.9, de;q=0.8":  "es",
	} {
		if got := pickLanguage(header); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
}
