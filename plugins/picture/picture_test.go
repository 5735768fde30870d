package picture

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

func encoded(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			c := color.NRGBA{R: 200, A: 255}
			if x < w/4 {
				c = color.NRGBA{A: 0} // transparent on the left
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestJPEG(t *testing.T) {
	pngEnc := func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }
	gifEnc := func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }
	// A 1x1 lossless WebP (a red pixel), as cwebp writes one.
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	for _, c := range []struct {
		name         string
		data         []byte
		side         int
		square       bool
		wantW, wantH int
	}{
		{"png scaled, square", encoded(t, 1200, 800, pngEnc), 640, true, 640, 640},
		{"png scaled, kept proportions", encoded(t, 1200, 800, pngEnc), 640, false, 640, 426},
		{"small gif not scaled up", encoded(t, 30, 20, gifEnc), 640, true, 20, 20},
		{"webp", webp, 640, true, 1, 1},
	} {
		out, err := JPEG(c.data, c.side, c.square)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Errorf("%s: the result is no JPEG: %v", c.name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != c.wantW || b.Dy() != c.wantH {
			t.Errorf("%s: %dx%d, want %dx%d", c.name, b.Dx(), b.Dy(), c.wantW, c.wantH)
		}
	}
	// Transparency becomes white, not black.
	out, err := JPEG(encoded(t, 40, 40, pngEnc), 640, false)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := jpeg.Decode(bytes.NewReader(out))
	if r, g, b, _ := img.At(2, 20).RGBA(); r>>8 < 240 || g>>8 < 240 || b>>8 < 240 {
		t.Errorf("a transparent pixel became %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}

	// Not a picture; a damaged one; one claiming a huge size.
	bomb := encoded(t, 8, 8, pngEnc)
	// The IHDR's width and height (bytes 16-23) set to 100000x100000,
	// its CRC (bytes 29-32) mended, so that only the size is wrong.
	copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29]))
	if cfg, err := png.DecodeConfig(bytes.NewReader(bomb)); err != nil || cfg.Width != 100000 {
		t.Fatalf("the bomb is not a valid PNG header: %v %v", cfg, err)
	}
	for name, data := range map[string][]byte{
		"text":    []byte("not a picture"),
		"cut png": encoded(t, 100, 100, pngEnc)[:60],
		"bomb":    bomb,
	} {
		if _, err := JPEG(data, 640, true); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
