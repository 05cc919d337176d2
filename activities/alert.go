package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// AlertInput is a run that failed or warned.
type AlertInput struct {
	RunID      string             `json:"run_id"`
	WorkflowID string             `json:"workflow_id"`
	Status     string             `json:"status"` // failed, cancelled, or succeeded with warnings
	ErrorType  string             `json:"error_type,omitempty"`
	Error      string             `json:"error,omitempty"`
	Warnings   []string           `json:"warnings,omitempty"`
	Source     string             `json:"source,omitempty"`
	From       string             `json:"from,omitempty"`
	To         string             `json:"to,omitempty"`
	Accounting clickstream.Counts `json:"counts"`
	Objects    int                `json:"objects"`
}

// alertPayload is what the webhook receives: the run's facts, a link to it,
// and a text a Slack incoming webhook shows as it is.
type alertPayload struct {
	Text string `json:"text"`
	AlertInput
	Link string `json:"link,omitempty"`
}

// alertTimeout bounds one attempt to post an alert.
const alertTimeout = 10 * time.Second

// Alert posts a run's failure or warnings to the webhook of alerts.webhook_url
// (Activities.AlertWebhook), as JSON. The URL never leaves the worker: it is
// not in the input, and no error or log names it. Without a webhook it does
// nothing. An answer other than 2xx is an error, for Temporal to retry; the
// workflow never fails for an alert.
func (a *Activities) Alert(ctx context.Context, in AlertInput) error {
	if a.AlertWebhook == "" {
		return nil
	}
	p := alertPayload{AlertInput: in, Text: alertText(in)}
	if a.TemporalUIURL != "" && in.WorkflowID != "" {
		p.Link = strings.TrimSuffix(a.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(a.Namespace) + "/workflows/" + url.PathEscape(in.WorkflowID)
		p.Text += "\n" + p.Link
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encoding the alert: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, alertTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.AlertWebhook, bytes.NewReader(body))
	if err != nil {
		return errors.New("posting the alert: alerts.webhook_url is not a usable URL") // its value is a secret
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // *url.Error's message holds the URL
		}
		return fmt.Errorf("posting the alert to alerts.webhook_url: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("posting the alert to alerts.webhook_url: answered %s", resp.Status)
	}
	return nil
}

// alertText is the alert in one paragraph a person reads first.
func alertText(in AlertInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "clickstream run %s %s", in.WorkflowID, in.Status)
	if in.Source != "" {
		fmt.Fprintf(&b, " (source %s", in.Source)
		if in.From != "" {
			fmt.Fprintf(&b, ", %s to %s", in.From, in.To)
		}
		b.WriteString(")")
	}
	if in.Error != "" {
		fmt.Fprintf(&b, ": %s: %s", in.ErrorType, in.Error)
	}
	for _, w := range in.Warnings {
		fmt.Fprintf(&b, "\nwarning: %s", w)
	}
	fmt.Fprintf(&b, "\n%d objects, %d lines, %d rejected lines, %d rejected events", in.Objects, in.Accounting.Lines,
		in.Accounting.SessionsRejected, in.Accounting.EventsRejected)
	return b.String()
}
