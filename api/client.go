package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scamblock/scamblock/store"
)

// DefaultServer is where the CLI finds the API unless told otherwise.
const DefaultServer = "http://127.0.0.1:8335"

// Client calls the API; the CLI's submit, review, appeal, export and token
// commands use it. The zero HTTP uses a client with a 60 s timeout.
type Client struct {
	Server string // base URL, e.g. DefaultServer
	Token  string // bearer secret; never logged or printed
	HTTP   *http.Client
}

// Error is a non-2xx reply, with the server's message and field.
type Error struct {
	Status  int
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(buf)
	}
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode reply: %w", method, path, err)
	}
	return nil
}

// send performs a request and returns the response when it is 2xx; other
// statuses become *Error.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	base := strings.TrimRight(c.Server, "/")
	if base == "" {
		base = DefaultServer
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	e := &Error{Status: resp.StatusCode}
	var er ErrorResponse
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(raw, &er) == nil && er.Error != "" {
		e.Message, e.Field = er.Error, er.Field
	} else {
		e.Message = strings.TrimSpace(string(raw))
	}
	return nil, e
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Submit sends indicators for review.
func (c *Client) Submit(ctx context.Context, req SubmitRequest) (SubmitResponse, error) {
	var out SubmitResponse
	return out, c.do(ctx, http.MethodPost, "/v1/submissions", req, &out)
}

// Submissions lists submissions in state ("" for all).
// Check asks the server what it knows about one indicator (GET
// /v1/check/{indicator}); out receives the server's verdict.
func (c *Client) Check(ctx context.Context, indicator string, out any) error {
	return c.do(ctx, http.MethodGet, "/v1/check/"+url.PathEscape(indicator), nil, out)
}

func (c *Client) Submissions(ctx context.Context, state string) ([]store.Submission, error) {
	var out SubmissionsResponse
	err := c.do(ctx, http.MethodGet, "/v1/submissions?state="+url.QueryEscape(state), nil, &out)
	return out.Submissions, err
}

// Approve publishes submission id.
func (c *Client) Approve(ctx context.Context, id uint64, req DecisionRequest) (store.Submission, error) {
	var out store.Submission
	return out, c.do(ctx, http.MethodPost, "/v1/submissions/"+strconv.FormatUint(id, 10)+"/approve", req, &out)
}

// Reject closes submission id; req.Reason is required.
func (c *Client) Reject(ctx context.Context, id uint64, req DecisionRequest) (store.Submission, error) {
	var out store.Submission
	return out, c.do(ctx, http.MethodPost, "/v1/submissions/"+strconv.FormatUint(id, 10)+"/reject", req, &out)
}

// Appeal files an appeal (no token needed).
func (c *Client) Appeal(ctx context.Context, req AppealRequest) (store.Appeal, error) {
	var out store.Appeal
	return out, c.do(ctx, http.MethodPost, "/v1/appeals", req, &out)
}

// Appeals lists appeals in state ("" for all).
func (c *Client) Appeals(ctx context.Context, state string) ([]store.Appeal, error) {
	var out AppealsResponse
	err := c.do(ctx, http.MethodGet, "/v1/appeals?state="+url.QueryEscape(state), nil, &out)
	return out.Appeals, err
}

// DelistAppeal upholds appeal id and unpublishes its indicator.
func (c *Client) DelistAppeal(ctx context.Context, id uint64, req DecisionRequest) (DelistResponse, error) {
	var out DelistResponse
	return out, c.do(ctx, http.MethodPost, "/v1/appeals/"+strconv.FormatUint(id, 10)+"/delist", req, &out)
}

// DismissAppeal closes appeal id without change.
func (c *Client) DismissAppeal(ctx context.Context, id uint64, req DecisionRequest) (store.Appeal, error) {
	var out store.Appeal
	return out, c.do(ctx, http.MethodPost, "/v1/appeals/"+strconv.FormatUint(id, 10)+"/dismiss", req, &out)
}

// Export copies the published list in format to w.
func (c *Client) Export(ctx context.Context, format string, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, "/v1/export?format="+url.QueryEscape(format), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("read export: %w", err)
	}
	return nil
}

// CreateToken makes a token through the API (admin).
func (c *Client) CreateToken(ctx context.Context, req TokenRequest) (TokenCreated, error) {
	var out TokenCreated
	return out, c.do(ctx, http.MethodPost, "/v1/tokens", req, &out)
}

// Tokens lists tokens (admin).
func (c *Client) Tokens(ctx context.Context) ([]TokenView, error) {
	var out TokensResponse
	err := c.do(ctx, http.MethodGet, "/v1/tokens", nil, &out)
	return out.Tokens, err
}

// RevokeToken revokes a token by name or id (admin).
func (c *Client) RevokeToken(ctx context.Context, nameOrID string) (TokenView, error) {
	var out TokenView
	return out, c.do(ctx, http.MethodDelete, "/v1/tokens/"+url.PathEscape(nameOrID), nil, &out)
}

// Audit reads audit events after seq (admin).
func (c *Client) Audit(ctx context.Context, after uint64, limit int) (AuditResponse, error) {
	var out AuditResponse
	q := "/v1/audit?after=" + strconv.FormatUint(after, 10)
	if limit > 0 {
		q += "&limit=" + strconv.Itoa(limit)
	}
	return out, c.do(ctx, http.MethodGet, q, nil, &out)
}
