package filter_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers/v2"

	"github.com/cxgate/cxgate/gateway/filter"
)

// chatTemplates imitate customer-service chat: most lines carry no PII,
// many carry business identifiers, some carry PII. %s slots are filled from
// the pools below so that values vary (no cache can help).
var chatTemplates = []string{
	"Hi, where is my order #%d? It was supposed to arrive yesterday.",
	"Thanks for waiting! I can see order ORD-2024-%d left our warehouse on May 6.",
	"The tracking number is 1Z999AA1%010d and it says label created.",
	"Can I change the delivery address? New one is %d Baker Street, London NW1 6XE.",
	"Please deliver to the back door, the bell at number %d is broken.",
	"My email is %s, please send the invoice there.",
	"You can call me on %s any time after 5pm.",
	"I paid $%d.99 but was charged twice, can you refund one of them?",
	"The SKU TSH-BLU-%d is out of stock again, any idea when it comes back?",
	"Firmware 10.2.%d.4 fixed the pairing problem, thanks!",
	"Hello %s, thanks for reaching out. Let me check that for you.",
	"ok thanks",
	"Is the Tommy Hilfiger polo available in XL? Coupon SAVE%d does not work.",
	"Please update my card, the new one ends in %04d.",
	"Die Bestellung %d ist noch nicht angekommen, bitte prüfen.",
	"Bonjour, ma commande n° %d est arrivée abîmée, je voudrais un remboursement.",
	"Olá, meu pedido %d ainda não chegou. CEP 01310-100.",
	"I was charged on 12/%02d/2024 for an order I cancelled.",
	"Ticket INC00%d was closed but the issue is not fixed.",
	"My IBAN is %s for the refund.",
	"Customer's router at 203.0.113.%d keeps dropping the connection.",
	"Can you resend the confirmation email? I can't find it in spam either.",
	"The parcel was left with my neighbour at number %d.",
	"Kind regards,\n%s",
	"what's the return window for sale items? bought on %d March",
	"Card 4111 1111 1111 1111 was declined, tried twice. Ref %d.",
	"Version 5.%d.1 of the app crashes when I open my orders.",
	"Order 123-1234567-%07d from the marketplace, the box was empty.",
	"My password is Summer%d! can you reset it please",
	"Delivered to the wrong flat, I'm in Flat %d, 12 Oak Lane.",
	"no worries, have a nice day!",
	"Hi there, I have a question about my order.",
	"Can you tell me when the package will arrive?",
	"I'd like to return the shoes, they are too small.",
	"Thank you so much for your help today!",
	"The item arrived damaged, the box was crushed and the glass is broken.",
	"Do you ship to Canada? And how long does it usually take?",
	"I never received a confirmation email after checkout.",
	"Is there a discount for students or teachers?",
	"Sorry for the delay, I was checking with the warehouse team.",
	"Could you please cancel the order and refund me?",
	"The app keeps logging me out on my phone.",
	"Where can I find the size guide for the jackets?",
	"Let me know if there is anything else I can help with.",
	"Wo finde ich die Rechnung? Ich brauche sie für die Steuer.",
	"Merci beaucoup pour votre aide, bonne journée !",
}

var (
	benchNames  = []string{"Sarah", "Priya Sharma", "Jürgen Weber", "Camille", "João Silva", "Mr Smith", "Maya Okafor"}
	benchPhones = []string{"020 7946 0%03d", "(212) 555-01%02d", "+49 30 23125%03d", "07700 900%03d", "+91 98765 4%04d", "01 99 00 %02d 34"}
	benchIBANs  = []string{"GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00", "FR14 2004 1010 0505 0001 3M02 606"}
)

// chatText builds about size bytes of chat lines.
func chatText(size int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	for b.Len() < size {
		tpl := chatTemplates[rng.IntN(len(chatTemplates))]
		var line string
		switch {
		case strings.Contains(tpl, "email is"):
			line = fmt.Sprintf(tpl, fmt.Sprintf("user%d@example.com", rng.IntN(100000)))
		case strings.Contains(tpl, "call me"):
			line = fmt.Sprintf(tpl, fmt.Sprintf(benchPhones[rng.IntN(len(benchPhones))], rng.IntN(100)))
		case strings.Contains(tpl, "IBAN"):
			line = fmt.Sprintf(tpl, benchIBANs[rng.IntN(len(benchIBANs))])
		case strings.Contains(tpl, "%s"):
			line = fmt.Sprintf(tpl, benchNames[rng.IntN(len(benchNames))])
		case strings.Contains(tpl, "%02d"):
			line = fmt.Sprintf(tpl, rng.IntN(28)+1)
		case strings.Contains(tpl, "%04d"):
			line = fmt.Sprintf(tpl, rng.IntN(10000))
		case strings.Contains(tpl, "%07d"):
			line = fmt.Sprintf(tpl, rng.IntN(10000000))
		case strings.Contains(tpl, "%010d"):
			line = fmt.Sprintf(tpl, rng.IntN(1000000000))
		case strings.Contains(tpl, "Flat %d"), strings.Contains(tpl, "number %d"), strings.Contains(tpl, "on %d March"),
			strings.Contains(tpl, "10.2.%d"), strings.Contains(tpl, "5.%d.1"), strings.Contains(tpl, "113.%d"):
			line = fmt.Sprintf(tpl, rng.IntN(200)+1)
		case strings.Contains(tpl, "%"):
			line = fmt.Sprintf(tpl, rng.IntN(90000)+1000)
		default:
			line = tpl
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

var benchSizes = []struct {
	name string
	size int
}{{"1KB", 1 << 10}, {"64KB", 64 << 10}, {"1MB", 1 << 20}}

// BenchmarkFilter is the filter's Find on chat text at three sizes (cost
// should be linear: equal MB/s). Run with -cpu 1 for per-core numbers.
func BenchmarkFilter(b *testing.B) {
	f, err := filter.New(filter.Config{MaxInput: 2 << 20})
	if err != nil {
		b.Fatal(err)
	}
	for _, sz := range benchSizes {
		text := chatText(sz.size, 1)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Find(text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMask includes building the masked text.
func BenchmarkMask(b *testing.B) {
	f, _ := filter.New(filter.Config{})
	text := chatText(64<<10, 2)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Mask(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenize includes the batched call to a test tokenizer.
func BenchmarkTokenize(b *testing.B) {
	f, _ := filter.New(filter.Config{})
	text := chatText(64<<10, 3)
	tok := &recTokenizer{}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		tok.calls = tok.calls[:0]
		if _, err := f.Tokenize(context.Background(), tok, "acme-retail", text); err != nil {
			b.Fatal(err)
		}
	}
}

// naivePatterns is the baseline: one Go regexp per type, the way regex
// recognizer sets (Presidio's, many DLP rule packs) are usually written,
// with no validation at all.
var naivePatterns = []string{
	`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`,                                         // EMAIL
	`\+?\d[\d\s().-]{7,}\d`,                                                                  // PHONE
	`\b(?:\d[ -]?){13,19}\b`,                                                                 // CARD
	`\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,4})?\b`,                          // IBAN
	`(?i)\b(?:account|acct|sort code|routing)\D{0,20}\d[\d -]{4,20}\d`,                       // ACCOUNT
	`\b\d{3}-\d{2}-\d{4}\b`,                                                                  // SSN
	`\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b`,                               // NINO
	`\b(?:\d{1,3}\.){3}\d{1,3}\b|\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{0,4}\b`,             // IP
	`\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b|\b\d{5}(?:-\d{4})?\b`,                             // POSTCODE
	`\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr)\b`, // ADDRESS
	`(?i)\b(?:dob|born|birth)\W+\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}`,                             // DOB
	`\b(?:Mr|Mrs|Ms|Dr|Hi|Hello|Dear)\.?\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+)?`,                    // PERSON
	`(?i)(?:password|pwd|passwort|senha)\s*[:=]?\s*\S+|\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|\bAKIA[A-Z0-9]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b`, // SECRET
}

// BenchmarkNaiveRegexp is baseline (a), measured in the same run.
func BenchmarkNaiveRegexp(b *testing.B) {
	res := make([]*regexp.Regexp, len(naivePatterns))
	for i, p := range naivePatterns {
		res[i] = regexp.MustCompile(p)
	}
	text := chatText(64<<10, 1)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		for _, re := range res {
			_ = re.FindAllStringIndex(text, -1)
		}
	}
}

// BenchmarkLibphonenumber is baseline (b): libphonenumber's own text
// matcher over the six default regions, phones only.
func BenchmarkLibphonenumber(b *testing.B) {
	text := chatText(16<<10, 1)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, r := range filter.DefaultPhoneRegions {
			for range phonenumbers.FindNumbersWithLeniency(text, r, phonenumbers.VALID, 65535) {
				n++
			}
		}
	}
}
