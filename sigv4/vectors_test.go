package sigv4_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/sigv4"
)

// Requests and signatures from the AWS SigV4 test suite (get-vanilla,
// get-vanilla-query-order-key-case), with its published example key. They
// pin the canonical request to AWS's own definition, independent of any
// SDK under test.
func TestAWSTestSuiteVectors(t *testing.T) {
	store, err := sigv4.NewStaticStore(sigv4.Credential{
		AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", Principal: "example",
	})
	if err != nil {
		t.Fatal(err)
	}
	v := &sigv4.Verifier{
		Credentials: store, Service: "service", Region: "us-east-1",
		Now: fixedClock(time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)),
	}
	cases := map[string]struct {
		target, signature string
	}{
		"get-vanilla":                      {"/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		"get-vanilla-query-order-key-case": {"/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			r.Host = "example.amazonaws.com"
			r.Header.Set("X-Amz-Date", "20150830T123600Z")
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="+tc.signature)
			res, err := v.Verify(r)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.Principal != "example" {
				t.Errorf("Principal = %q, want example", res.Principal)
			}
			// One flipped hex digit must fail.
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="+flip(tc.signature))
			if _, err := v.Verify(r); !errors.Is(err, sigv4.ErrSignatureMismatch) {
				t.Errorf("flipped signature: err = %v, want ErrSignatureMismatch", err)
			}
		})
	}
}

func flip(sig string) string {
	b := []byte(sig)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}
