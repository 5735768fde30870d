// Package picture turns a picture the user set from XMPP (a group's
// avatar: JPEG, PNG, GIF or WebP) into what a network takes: a JPEG,
// square where the network wants one, no larger than its limit.
//
// It imports nothing of this module: transports are separate processes.
package picture

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	// The decoders of the types the gateway lets through.
	_ "image/gif"
	_ "image/png"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// maxPixels bounds the picture decoded: a small file may claim a huge
// size (a decompression bomb), which would take gigabytes to decode.
const maxPixels = 40 << 20

// JPEG decodes data and writes it as a JPEG at most side pixels wide and
// high (scaled down keeping its proportions, never up), cut to the
// centred square first when square is set. Transparency becomes white,
// as the apps show a picture without it.
func JPEG(data []byte, side int, square bool) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("picture: not an image this gateway reads (JPEG, PNG, GIF, WebP): %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return nil, fmt.Errorf("picture: %dx%d pixels is more than a picture may have", cfg.Width, cfg.Height)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("picture: damaged image: %w", err)
	}
	r := src.Bounds()
	if square {
		d := min(r.Dx(), r.Dy())
		x, y := r.Min.X+(r.Dx()-d)/2, r.Min.Y+(r.Dy()-d)/2
		r = image.Rect(x, y, x+d, y+d)
	}
	w, h := r.Dx(), r.Dy()
	if m := max(w, h); m > side {
		w, h = max(1, w*side/m), max(1, h*side/m)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, r, draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("picture: %w", err)
	}
	return out.Bytes(), nil
}
