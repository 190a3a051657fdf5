package enrolment

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"careconnect/domain"
)

// pngHeader is the start of a PNG of w x h pixels (signature and IHDR,
// nothing after): enough for image.DecodeConfig, never for a decode.
func pngHeader(w, h int, depth, colourType, interlace byte) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9], ihdr[12] = depth, colourType, interlace
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
}

// jpegHeader is the start of a JPEG of w x h pixels with a frame header of
// kind sof (0xc0 baseline, 0xc2 progressive) and three components, up to
// its first scan's marker.
func jpegHeader(sof byte, w, h int) []byte {
	b := []byte{0xff, 0xd8, 0xff, sof, 0x00, 0x11, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3}
	b = append(b, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	return append(b, 0xff, 0xda, 0x00, 0x0c)
}

// TestCheckScreenshotBounds: the header decides whether a screenshot may
// be decoded; the bound is the memory the decode takes, not the file size.
func TestCheckScreenshotBounds(t *testing.T) {
	var small bytes.Buffer
	if err := png.Encode(&small, image.NewRGBA(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		b    []byte
		ok   bool
	}{
		// Real small images.
		{"small PNG", small.Bytes(), true},
		{"small baseline JPEG", photo.Bytes(), true},
		// 16 megapixels of 8-bit RGBA is the budget, exactly: 64 MiB.
		{"4096x4096 8-bit RGBA", pngHeader(4096, 4096, 8, 6, 0), true},
		{"4096x4097 8-bit grey: over 16 megapixels", pngHeader(4096, 4097, 8, 0, 0), false},
		// The bomb of the review: 6320x6320 16-bit RGBA, 319 MB decoded.
		{"6320x6320 16-bit RGBA", pngHeader(6320, 6320, 16, 6, 0), false},
		// 16-bit colour costs 8 bytes a pixel: about 8 megapixels fit.
		{"2896x2896 16-bit RGBA", pngHeader(2896, 2896, 16, 6, 0), true},
		{"2897x2897 16-bit RGBA", pngHeader(2897, 2897, 16, 6, 0), false},
		// An interlaced PNG is decoded twice over.
		{"4096x4096 8-bit RGBA interlaced", pngHeader(4096, 4096, 8, 6, 1), false},
		{"2896x2896 8-bit RGBA interlaced", pngHeader(2896, 2896, 8, 6, 1), true},
		// A progressive JPEG keeps its coefficients: 4 bytes a sample more.
		{"4K baseline JPEG", jpegHeader(0xc0, 3840, 2160), true},
		{"4K progressive JPEG", jpegHeader(0xc2, 3840, 2160), false},
		{"1080p progressive JPEG", jpegHeader(0xc2, 1920, 1080), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, typ, problem := CheckScreenshot(c.b, 5<<20)
			if ok := problem == ""; ok != c.ok {
				t.Fatalf("CheckScreenshot: type %q, problem %q; want accepted %v", typ, problem, c.ok)
			}
			if !c.ok && !strings.Contains(problem, "16 megapixels") {
				t.Errorf("problem %q; want it to name the limit", problem)
			}
		})
	}
}

// TestDecodeScreenshotSlots: decodes take a slot; a request that cannot
// get one in time is told to come back (EUNAVAILABLE: 503, Retry-After)
// rather than decoding anyway.
func TestDecodeScreenshotSlots(t *testing.T) {
	var good bytes.Buffer
	if err := png.Encode(&good, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	s := &Service{decodes: make(chan struct{}, 1), decodeWait: 10 * time.Millisecond}
	if problem, err := s.decodeScreenshot(context.Background(), good.Bytes()); problem != "" || err != nil {
		t.Fatalf("decode with a free slot: %q, %v; want it decoded", problem, err)
	}
	if problem, err := s.decodeScreenshot(context.Background(), good.Bytes()[:good.Len()-12]); problem != errDamaged || err != nil {
		t.Fatalf("decode of a cut PNG: %q, %v; want %q", problem, err, errDamaged)
	}
	if len(s.decodes) != 0 {
		t.Fatalf("%d slots held after the decodes; want them given back", len(s.decodes))
	}
	s.decodes <- struct{}{} // another request is decoding
	_, err := s.decodeScreenshot(context.Background(), good.Bytes())
	if domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Fatalf("decode with no free slot: %v; want EUNAVAILABLE", err)
	}
}

// TestJPEGFrame: the frame header is found after other segments; what
// cannot be read counts as the costliest frame.
func TestJPEGFrame(t *testing.T) {
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	app0 := []byte{0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	withApp0 := append([]byte{0xff, 0xd8}, append(app0, jpegHeader(0xc2, 640, 480)[2:]...)...)
	cases := []struct {
		name        string
		b           []byte
		progressive bool
		components  int
	}{
		{"encoded by image/jpeg (tables first)", photo.Bytes(), false, 1},
		{"progressive after a JFIF segment", withApp0, true, 3},
		{"baseline", jpegHeader(0xc0, 640, 480), false, 3},
		{"no frame header", []byte{0xff, 0xd8, 0xff, 0xd9, 0, 0, 0, 0, 0, 0, 0, 0}, true, 4},
		{"not segments", []byte{0xff, 0xd8, 'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'}, true, 4},
	}
	for _, c := range cases {
		p, n := jpegFrame(c.b)
		if p != c.progressive || n != c.components {
			t.Errorf("%s: jpegFrame = %v, %d; want %v, %d", c.name, p, n, c.progressive, c.components)
		}
	}
}
