package sfserver

import (
	"bytes"
	"compress/gzip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxObjectBytes bounds one uploaded file.
const maxObjectBytes = 1 << 30

// uploadObject takes an HTTP PUT to a presigned URL, as Google Cloud Storage
// does: the signature and expiry are checked, the client-side encryption
// undone with the stage's master key, and the file kept in the stage.
func (s *Server) uploadObject(w http.ResponseWriter, r *http.Request) {
	object := r.PathValue("object")
	exp := r.URL.Query().Get("X-Goog-Expires")
	if !hmac.Equal([]byte(s.sign(object, exp)), []byte(r.URL.Query().Get("X-Goog-Signature"))) {
		http.Error(w, "SignatureDoesNotMatch", http.StatusForbidden)
		return
	}
	if at, err := strconv.ParseInt(exp, 10, 64); err != nil || time.Now().Unix() > at {
		http.Error(w, "ExpiredToken", http.StatusBadRequest) // the driver asks for a new URL
		return
	}
	parts := strings.SplitN(object, "/", 3) // bucket, stage id, path
	if len(parts) != 3 || parts[0] != gcsBucket {
		http.Error(w, "NoSuchBucket", http.StatusNotFound)
		return
	}
	st := s.stages.byIDOf(parts[1])
	if st == nil {
		http.Error(w, "NoSuchKey: the stage was dropped", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxObjectBytes))
	if err != nil {
		http.Error(w, "EntityTooLarge or broken upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	f := stagedFile{data: body}
	if meta := r.Header.Get("x-goog-meta-encryptiondata"); meta != "" {
		plain, err := decryptUpload(st, meta, r.Header.Get("x-goog-meta-matdesc"), body)
		if err != nil {
			http.Error(w, "cannot decrypt: "+err.Error(), http.StatusForbidden)
			return
		}
		f = stagedFile{data: plain, encrypted: true}
	}
	st.put(parts[2], f)
	s.stats.uploads.Add(1)
	w.WriteHeader(http.StatusOK)
}

// encryptionMeta is the x-goog-meta-encryptiondata header the driver sends
// (encrypt_util.go: encryptionData).
type encryptionMeta struct {
	WrappedContentKey struct {
		EncryptedKey string `json:"EncryptedKey"`
	} `json:"WrappedContentKey"`
	ContentEncryptionIV string `json:"ContentEncryptionIV"`
}

// decryptUpload reverses the driver's encryptStreamCBC: the file key is
// wrapped with AES-ECB under the stage master key, the content is AES-CBC with
// PKCS#5 padding.
func decryptUpload(st *stage, meta, matdesc string, body []byte) ([]byte, error) {
	var em encryptionMeta
	if err := json.Unmarshal([]byte(meta), &em); err != nil {
		return nil, err
	}
	var md struct {
		SMKID string `json:"smkId"`
	}
	if err := json.Unmarshal([]byte(matdesc), &md); err != nil || md.SMKID != strconv.FormatInt(st.smkID, 10) {
		return nil, fmt.Errorf("material descriptor %q does not name this stage's key", matdesc)
	}
	wrapped, err := base64.StdEncoding.DecodeString(em.WrappedContentKey.EncryptedKey)
	if err != nil {
		return nil, err
	}
	iv, err := base64.StdEncoding.DecodeString(em.ContentEncryptionIV)
	if err != nil {
		return nil, err
	}
	kek, err := aes.NewCipher(st.key)
	if err != nil {
		return nil, err
	}
	if len(wrapped)%aes.BlockSize != 0 || len(wrapped) < len(st.key) {
		return nil, errors.New("wrapped key is not whole blocks")
	}
	fileKey := make([]byte, len(wrapped))
	for i := 0; i < len(wrapped); i += aes.BlockSize {
		kek.Decrypt(fileKey[i:], wrapped[i:i+aes.BlockSize])
	}
	block, err := aes.NewCipher(fileKey[:len(st.key)])
	if err != nil {
		return nil, err
	}
	if len(iv) != aes.BlockSize || len(body)%aes.BlockSize != 0 || len(body) == 0 {
		return nil, errors.New("content is not whole AES blocks")
	}
	plain := make([]byte, len(body))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, body)
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(plain) {
		return nil, errors.New("bad padding")
	}
	return plain[:len(plain)-pad], nil
}

// readStaged returns a staged file's content, gunzipped if it was compressed.
func readStaged(f stagedFile) ([]byte, error) {
	if !f.encrypted {
		return nil, errors.New("the file was uploaded without client-side encryption, which this stage requires")
	}
	if len(f.data) >= 2 && f.data[0] == 0x1f && f.data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(f.data))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return readCapped(zr, maxObjectBytes)
	}
	return f.data, nil
}

// readCapped reads r whole, refusing more than limit bytes: a small gzip
// member can inflate without end (a "zip bomb"), and the double keeps staged
// files in memory.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the staged file inflates to more than %d bytes", limit)
	}
	return data, nil
}
