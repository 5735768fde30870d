package whatsapp

import (
	"mime"
	"strings"
)

// mediaExts is the extension of each type WhatsApp's apps commonly send
// (camera formats, office documents, archives): the client receiving a
// file without a name opens it by its extension. The plugin's own, as a
// minimal machine has no /etc/mime.types for Go's mime package, and that
// package lists several (".jpe", ".jfif"...) where one is wanted.
var mediaExts = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
	"image/heic": ".heic", "image/heif": ".heif", "image/bmp": ".bmp", "image/tiff": ".tif",
	"image/svg+xml": ".svg",
	"video/mp4":     ".mp4", "video/3gpp": ".3gp", "video/quicktime": ".mov", "video/webm": ".webm",
	"video/x-matroska": ".mkv", "video/mpeg": ".mpg", "video/x-msvideo": ".avi",
	"audio/ogg": ".ogg", "audio/opus": ".opus", "audio/mpeg": ".mp3", "audio/mp4": ".m4a",
	"audio/x-m4a": ".m4a", "audio/aac": ".m4a", "audio/amr": ".amr", "audio/wav": ".wav",
	"audio/x-wav": ".wav", "audio/webm": ".weba", "audio/flac": ".flac",
	"application/pdf":    ".pdf",
	"application/msword": ".doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.ms-excel": ".xls",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.ms-powerpoint":                                             ".ppt",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.oasis.opendocument.text":                                   ".odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            ".ods",
	"application/vnd.oasis.opendocument.presentation":                           ".odp",
	"application/rtf": ".rtf", "application/epub+zip": ".epub",
	"application/zip": ".zip", "application/x-zip-compressed": ".zip", "application/x-rar-compressed": ".rar",
	"application/vnd.rar": ".rar", "application/x-7z-compressed": ".7z", "application/gzip": ".gz",
	"application/vnd.android.package-archive": ".apk", "application/json": ".json",
	// Any bytes: no extension says more than none (the system's lists
	// give ".bin", ".exe"... by the machine).
	"application/octet-stream": "",
	"text/plain":               ".txt", "text/csv": ".csv", "text/html": ".html", "text/vcard": ".vcf", "text/x-vcard": ".vcf",
}

// extFor is a file extension for a MIME type (parameters aside): the
// plugin's own for the common ones, else the system's first, else "".
func extFor(mimeType string) string {
	t, _, _ := strings.Cut(mimeType, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	if ext, ok := mediaExts[t]; ok {
		return ext
	}
	if exts, err := mime.ExtensionsByType(t); err == nil && len(exts) > 0 {
		return exts[0]
	}
	return ""
}
