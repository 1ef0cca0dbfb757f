package filter_test

import (
	"testing"

	"github.com/cxgate/cxgate/gateway/filter"
)

// maskCases are the development set: positives and hard negatives per
// detector. Every value is reserved or fictional.
var maskCases = []struct {
	name, in, want string
}{
	// EMAIL
	{"email plain", "Reach me at jürgen.müller@example.de or sales+eu@mail.example.co.uk today.", "Reach me at [EMAIL] or [EMAIL] today."},
	{"email spelled out", "write to maya dot okafor at example dot com please", "write to [EMAIL] please"},
	{"email brackets", "jane[at]example(dot)org or jonas (at) example (dot) net", "[EMAIL] or [EMAIL]"},
	{"email at with cue", "my email is name at example.com", "my email is [EMAIL]"},
	{"email french arobase", "mon mail: chloe.lambert arobase example point com", "mon mail: [EMAIL]"},
	{"not email: look at", "look at example.com for details, I'm at home", "look at example.com for details, I'm at home"},
	{"not email: bare at sign", "meet @ 5pm, price @ $3", "meet @ 5pm, price @ $3"},

	// PHONE
	{"phone US", "US (212) 555-0147, +1-800-555-0199, 212.555.0100", "US [PHONE], [PHONE], [PHONE]"},
	{"phone GB drama ranges", "UK 07700 900123, 020 7946 0321, +44 (0)20 7946 0123, 07700900456", "UK [PHONE], [PHONE], [PHONE], [PHONE]"},
	{"phone DE", "DE 030 23125123, +49 151 23456789, 0152 28817386", "DE [PHONE], [PHONE], [PHONE]"},
	{"phone FR fiction ranges", "FR 01 99 00 12 34, +33 6 39 98 45 67, 0033 1 99 00 11 22", "FR [PHONE], [PHONE], [PHONE]"},
	{"phone IN", "IN +91 98765 43210, 98200 11223, call me on 9876543210", "IN [PHONE], [PHONE], call me on [PHONE]"},
	{"phone BR", "BR (11) 91234-5678, +55 21 2345-6789", "BR [PHONE], [PHONE]"},
	{"not phone: ids after cues", "order 1234567890 and ticket 020 7946 0000", "order 1234567890 and ticket 020 7946 0000"},
	{"not phone: barcodes", "EAN 4006381333931 and UPC 036000291452, same 016000275263", "EAN 4006381333931 and UPC 036000291452, same 016000275263"},
	{"not phone: bare ten digits", "ref 9876543210 was charged", "ref 9876543210 was charged"},
	{"not phone: dates and times", "on 12.03.2024 at 10:30, batch 2024-03-12", "on 12.03.2024 at 10:30, batch 2024-03-12"},
	{"not phone: Brazilian tax ids", "CPF 123.456.789-09, CNPJ 12.345.678/0001-90", "CPF 123.456.789-09, CNPJ 12.345.678/0001-90"},
	{"not phone: tail of a failed IBAN", "IBAN ungültig: DE12 3456 7890 1234 5678 90", "IBAN ungültig: DE12 3456 7890 1234 5678 90"},
	{"phone with extension and dots", "+1 (415) 555-0132 ext. 12, cell 415.555.0187, Handy: 0171 2345678, 06.39.98.12.34, celular 11 98765-4321",
		"[PHONE] ext. 12, cell [PHONE], Handy: [PHONE], [PHONE], celular [PHONE]"},

	// CARD
	{"cards", "cards 4242-4242-4242-4242, 378282246310005, 5555 5555 5555 4444", "cards [CARD], [CARD], [CARD]"},
	{"not card: Luhn fails", "not cards 4111 1111 1111 1112 and 1234 5678 9012 3456", "not cards 4111 1111 1111 1112 and 1234 5678 9012 3456"},
	{"not card: last four", "card ending 4242, **** **** **** 1111, XXXX-XXXX-XXXX-1234", "card ending 4242, **** **** **** 1111, XXXX-XXXX-XXXX-1234"},

	// IBAN
	{"iban grouped lower dashes", "iban fr14 2004 1010 0505 0001 3m02 606 and DE89-3704-0044-0532-0130-00", "iban [IBAN] and [IBAN]"},
	{"not iban: mod-97 fails", "not iban GB82 WEST 1234 5698 7654 33", "not iban GB82 WEST 1234 5698 7654 33"},

	// ACCOUNT
	{"accounts", "sort code 20-00-00, account number 12345678 at Barclays bank, routing number 021000021, BLZ 370 400 44, IFSC SBIN0001234, agência 1234-5 conta 12345-6",
		"sort code [ACCOUNT], account number [ACCOUNT] at Barclays bank, routing number [ACCOUNT], BLZ [ACCOUNT], IFSC [ACCOUNT], agência [ACCOUNT] conta [ACCOUNT]"},
	{"account not a card", "A/c no 50100123456789, IFSC HDFC0001234", "A/c no [ACCOUNT], IFSC [ACCOUNT]"},
	{"not account: customer ids", "customer account number 88812345, Kundennummer 123456", "customer account number 88812345, Kundennummer 123456"},

	// SSN, NINO
	{"ssn", "SSN 219-09-9999, social security number 123456789", "SSN [SSN], social security number [SSN]"},
	{"not ssn: unissued", "codes 000-12-3456 or 666-12-3456 or 912-34-5678", "codes 000-12-3456 or 666-12-3456 or 912-34-5678"},
	{"nino", "nino AB123456C, JK 12 34 56 D", "nino [NINO], [NINO]"},
	{"not nino: invalid prefix", "NI number QQ 12 34 56 C, GB 12 34 56 A", "NI number QQ 12 34 56 C, GB 12 34 56 A"},

	// IP
	{"ip", "IPs 203.0.113.7:8080, 198.51.100.0/24, 2001:db8:85a3::8a2e:370:7334", "IPs [IP]:8080, [IP]/24, [IP]"},
	{"not ip: versions", "version 1.2.3.4, v10.2.3.4, firmware 10.2.3.4 needs 10.2.4.1, 999.1.1.1", "version 1.2.3.4, v10.2.3.4, firmware 10.2.3.4 needs 10.2.4.1, 999.1.1.1"},
	{"not ip: times and MACs", "time 12:30:45 and mac 00:1A:2B:3C:4D:5E", "time 12:30:45 and mac 00:1A:2B:3C:4D:5E"},

	// POSTCODE
	{"postcodes", "postcodes SW1A 1AA, M1 1AE, Austin, TX 78701-1234, PLZ 10115, 75008 Paris, CEP 01310-100, Mumbai 400001, K1A 0B1",
		"postcodes [POSTCODE], [POSTCODE], Austin, TX [POSTCODE], PLZ [POSTCODE], [POSTCODE] Paris, CEP [POSTCODE], Mumbai [POSTCODE], [POSTCODE]"},
	{"not postcode: bare numbers", "I have 12345 points and 75008 reasons, ref RT-88213-DE", "I have 12345 points and 75008 reasons, ref RT-88213-DE"},

	// ADDRESS
	{"address US", "ship to 1600 Pennsylvania Avenue NW, Suite 200, Washington", "ship to [ADDRESS], Washington"},
	{"address GB", "I live at 221B Baker Street, London NW1 6XE", "I live at [ADDRESS], London [POSTCODE]"},
	{"address DE", "Musterstraße 12a, Berliner Straße 5, Am Markt 3.", "[ADDRESS], [ADDRESS], [ADDRESS]."},
	{"address FR", "5 avenue des Champs-Élysées and 8, boulevard Saint-Michel", "[ADDRESS] and [ADDRESS]"},
	{"address BR", "Av. Paulista, 1578, apto 42 and Rua das Flores, nº 45", "[ADDRESS] and [ADDRESS]"},
	{"address IN", "House No. 45, Sector 12, Gurgaon and #12, 3rd Cross, 4th Main, Indiranagar", "[ADDRESS], Gurgaon and [ADDRESS]"},
	{"address PO box", "PO Box 1234", "[ADDRESS]"},
	{"not address: quantities", "I need 2 Large Pizzas and 3 TB Drive", "I need 2 Large Pizzas and 3 TB Drive"},

	// DOB
	{"dob many formats", "DOB 03.05.1988, born on 3rd of May 1988, Geburtsdatum: 12. März 1985, née le 3 mai 1988, data de nascimento 07/03/1989",
		"DOB [DOB], born on [DOB], Geburtsdatum: [DOB], née le [DOB], data de nascimento [DOB]"},
	{"not dob: order dates", "ordered 12/03/2024, delivered March 14, 2024", "ordered 12/03/2024, delivered March 14, 2024"},

	// PERSON
	{"person titles and greetings", "Dear Mr. Smith, Hi Priya, Bonjour Camille, Olá João", "Dear Mr. [PERSON], Hi [PERSON], Bonjour [PERSON], Olá [PERSON]"},
	{"person sign-offs", "Thanks,\nSarah\n\nKind regards,\nJohn O'Brien", "Thanks,\n[PERSON]\n\nKind regards,\n[PERSON]"},
	{"person cues", "my name is sarah jones and this is Pedro from the warehouse", "my name is [PERSON] and this is [PERSON] from the warehouse"},
	{"person other languages", "Ich heiße Jürgen Weber. Je m'appelle Chloé Martin. Me chamo Ana Souza.", "Ich heiße [PERSON]. Je m'appelle [PERSON]. Me chamo [PERSON]."},
	{"person initials", "Regards,\nMr H. Whitmore", "Regards,\nMr [PERSON]"},
	{"person signature lines", "--\nPriya Nair\nSenior Buyer\n\nAtenciosamente,\nMaria Eduarda Santos\n\nCordialement,\nJean-Luc Moreau",
		"--\n[PERSON]\nSenior Buyer\n\nAtenciosamente,\n[PERSON]\n\nCordialement,\n[PERSON]"},
	{"not person: adjectives after intros", "This is Ridiculous, third time. I am Very disappointed.", "This is Ridiculous, third time. I am Very disappointed."},
	{"not person: brands", "Tommy Hilfiger polo, Dr. Martens boots, Ben & Jerry's, Calvin Klein jeans, Jack Daniel's", "Tommy Hilfiger polo, Dr. Martens boots, Ben & Jerry's, Calvin Klein jeans, Jack Daniel's"},
	{"not person: words", "Will you check? Mark as resolved. Grace period. Victoria Street.", "Will you check? Mark as resolved. Grace period. Victoria Street."},

	// SECRET
	{"passwords", "password: hunter2!, passwort ist Sommer2024, mot de passe : Soleil#88, senha: Brasil@123, contraseña es Luna_2020",
		"password: [SECRET], passwort ist [SECRET], mot de passe : [SECRET], senha: [SECRET], contraseña es [SECRET]"},
	{"not password", "my password is wrong, forgot my password, password reset link, Mot de passe réinitialisé",
		"my password is wrong, forgot my password, password reset link, Mot de passe réinitialisé"},
	{"vendor keys", "sk_test_51HxYzAbCdEfGhIjKlMnOpQr ghp_1234567890abcdefghijklmnopqrstuvwxyzAB xoxb-123456789012-abcdefghij AKIAIOSFODNN7EXAMPLE",
		"[SECRET] [SECRET] [SECRET] [SECRET]"},
	{"jwt", "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "token [SECRET]"},
	{"generic keys", "api_key=9b19ea51177964f651d779dbe3c19788 and Authorization: Bearer abcDEF123456ghiJKL789", "api_key=[SECRET] and Authorization: Bearer [SECRET]"},
	{"pin", "PIN 4821 and the pin is 0707", "PIN [SECRET] and the pin is [SECRET]"},

	// business identifiers survive
	{"tracking", "Tracking 1Z999AA10123456784 / 9400 1000 0000 0000 0000 00 / RR123456785GB / FedEx 123456789012", "Tracking 1Z999AA10123456784 / 9400 1000 0000 0000 0000 00 / RR123456785GB / FedEx 123456789012"},
	{"order ids", "Amazon 123-1234567-1234567, eBay 12-34567-89012, ORD-2024-88812, INC0012345, SKU TSH-BLU-M, coupon SAVE20", "Amazon 123-1234567-1234567, eBay 12-34567-89012, ORD-2024-88812, INC0012345, SKU TSH-BLU-M, coupon SAVE20"},
	{"prices and uuids", "price $1,299.00, 49,90 €, R$ 1.234,56, ₹4,999 and uuid 123e4567-e89b-12d3-a456-426614174000", "price $1,299.00, 49,90 €, R$ 1.234,56, ₹4,999 and uuid 123e4567-e89b-12d3-a456-426614174000"},
	{"cxgate token", "token cxt_email_v1_K_NLPOrZB4IzvwCrEu0iIbU2s-QYAHbIYEiG39SThPk- stays", "token cxt_email_v1_K_NLPOrZB4IzvwCrEu0iIbU2s-QYAHbIYEiG39SThPk- stays"},
}

func TestMaskCases(t *testing.T) {
	f, err := filter.New(filter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range maskCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Mask(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != tc.want {
				t.Errorf("Mask(%q)\n got %q\nwant %q", tc.in, got.Text, tc.want)
			}
		})
	}
}
