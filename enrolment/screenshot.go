package enrolment

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG for image.DecodeConfig
	_ "image/png"  // registers PNG for image.DecodeConfig
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"careconnect/domain"
)

// readScreenshot reads an uploaded screenshot and checks its header
// (CheckScreenshot).
func readScreenshot(fh *multipart.FileHeader, max int64) ([]byte, string, string) {
	f, err := fh.Open()
	if err != nil {
		return nil, "", "could not be read"
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, "", "could not be read"
	}
	return CheckScreenshot(b, max)
}

// Decoding a screenshot costs memory in proportion to its pixels, not its
// bytes: a 300 KB PNG of 6320x6320 16-bit pixels decodes to 319 MB. So the
// header is read first and the decode refused unless it is bounded:
//
//   - at most maxScreenshotPixels pixels (16 megapixels: 4096x4096, more
//     than a 5K display's 5120x2880 screenshot), and
//   - at most maxScreenshotDecodeBytes of memory for the decode, as
//     decodeCost reckons it from the header: 4 bytes a pixel for 8-bit
//     RGBA, 8 for 16-bit colour (so a 16-bit screenshot may have 8
//     megapixels), twice the image for an interlaced PNG (Go decodes its
//     passes apart, then merges them) and 4 bytes a sample more for a
//     progressive JPEG (its coefficients are kept until the last scan).
//
// The budget is 64 MiB, what a 16-megapixel 8-bit RGBA screenshot needs,
// and at most screenshotDecodeSlots decodes run at once, so screenshots
// being checked never hold more than 128 MiB together.
const (
	maxScreenshotPixels       = 16 << 20
	maxScreenshotDecodeBytes  = 64 << 20
	screenshotDecodeSlots     = 2
	defaultScreenshotSlotWait = 2 * time.Second
)

// errDamaged is the problem of a screenshot that does not decode.
const errDamaged = "must be a valid PNG or JPEG image (the file is damaged or not an image)"

// CheckScreenshot sniffs b and checks its header: it returns the type, or
// a problem in words. A file it accepts decodes within the bounds above,
// or fails to decode (decodeScreenshot).
func CheckScreenshot(b []byte, max int64) ([]byte, string, string) {
	if int64(len(b)) > max {
		return nil, "", fmt.Sprintf("must be at most %d MB", max>>20)
	}
	typ := http.DetectContentType(b)
	if typ != "image/png" && typ != "image/jpeg" {
		return nil, "", "must be a PNG or JPEG image (the file's content is not)"
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || "image/"+format != typ || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", errDamaged
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if pixels > maxScreenshotPixels || decodeCost(b, format, cfg) > maxScreenshotDecodeBytes {
		return nil, "", fmt.Sprintf("is too large an image (%dx%d pixels); send a screenshot of at most 16 megapixels "+
			"(4096x4096) with 8-bit colour, e.g. a PNG saved by your screenshot tool", cfg.Width, cfg.Height)
	}
	return b, typ, ""
}

// decodeCost reckons from its header how many bytes decoding the image b
// (format and cfg from image.DecodeConfig) takes at its peak.
func decodeCost(b []byte, format string, cfg image.Config) int64 {
	pixels := int64(cfg.Width) * int64(cfg.Height)
	cost := pixels * bytesPerPixel(cfg.ColorModel)
	switch format {
	case "png":
		// IHDR is the first chunk: its interlace method is byte 28 of the file.
		if len(b) > 28 && b[28] != 0 {
			cost *= 2
		}
	case "jpeg":
		if progressive, components := jpegFrame(b); progressive {
			cost += pixels * 4 * int64(components)
		}
	}
	return cost
}

// bytesPerPixel is what the image image.Decode returns spends on a pixel
// of colour model m (the widest, 8 bytes, for a model it does not know).
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4; subsampled chroma needs less
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// jpegFrame finds the frame header (SOFn) of the JPEG b and reports
// whether it is progressive and how many components it has. When the
// header cannot be found, it answers the costliest case: progressive, four
// components.
func jpegFrame(b []byte) (progressive bool, components int) {
	for i := 2; i+9 < len(b); {
		if b[i] != 0xff {
			return true, 4
		}
		marker := b[i+1]
		switch {
		case marker == 0xff: // fill byte
			i++
			continue
		case marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01:
			i += 2 // markers without a segment
			continue
		case marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc:
			// SOFn: length (2), precision (1), height (2), width (2), components (1).
			return marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce, int(b[i+9])
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	return true, 4
}

// decodeScreenshot decodes b, whose header CheckScreenshot accepted, while
// holding one of the service's screenshotDecodeSlots, and returns a problem
// in words when it does not decode. A request that gets no slot within
// the service's wait is EUNAVAILABLE (503 with Retry-After), not queued
// without bound.
func (s *Service) decodeScreenshot(ctx context.Context, b []byte) (string, error) {
	wait := time.NewTimer(s.decodeWait)
	defer wait.Stop()
	select {
	case s.decodes <- struct{}{}:
	case <-wait.C:
		return "", domain.Errorf(domain.EUNAVAILABLE, "too many screenshots are being checked right now; try again in a few seconds")
	case <-ctx.Done():
		return "", domain.Errorf(domain.EUNAVAILABLE, "the screenshot could not be checked in time; try again")
	}
	defer func() { <-s.decodes }()
	if _, _, err := image.Decode(bytes.NewReader(b)); err != nil {
		return errDamaged, nil
	}
	return "", nil
}
