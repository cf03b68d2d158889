package settingsview

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
)

// ApplyTheme switches app to t at once: System follows the OS's light or
// dark preference (Fyne's default theme); Light and Dark pin the variant.
// The shell calls it at start with the saved theme.
func ApplyTheme(app fyne.App, t settings.Theme) {
	switch t {
	case settings.ThemeLight:
		app.Settings().SetTheme(&variantTheme{Theme: theme.DefaultTheme(), variant: theme.VariantLight})
	case settings.ThemeDark:
		app.Settings().SetTheme(&variantTheme{Theme: theme.DefaultTheme(), variant: theme.VariantDark})
	default:
		app.Settings().SetTheme(theme.DefaultTheme())
	}
}

// variantTheme is the default theme with its variant fixed. Fyne 2.7 has no
// setting that overrides the OS variant (theme.LightTheme and DarkTheme are
// deprecated), so colours are asked of the wrapped theme with our variant
// whatever variant Fyne passes in.
type variantTheme struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (t *variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.variant)
}

// Variant is the forced variant, for tests and for views that pick images
// per variant.
func (t *variantTheme) Variant() fyne.ThemeVariant { return t.variant }
