package filter

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lex is the set of word classes one lower-cased word belongs to. The
// scanner looks every alphabetic word up once, so detectors test bits
// instead of comparing strings.
type lex uint64

// Context cues: words that announce a kind of value.
const (
	cuePhone      lex = 1 << iota // phone, tel, mobile, whatsapp, telefone ...
	cueEmail                      // email, e-mail, courriel ...
	cueCard                       // card, visa, mastercard, kreditkarte ...
	cueIBAN                       // iban
	cueAccount                    // account, acct, konto, conta, agência ...
	cueBank                       // bank, banking, routing, checking, savings, blz, ifsc ...
	cueSSN                        // ssn, social (security)
	cueNINO                       // nino, ni (number), national (insurance)
	cueIP                         // ip, ipv4, ipv6, server, router ...
	cueVersion                    // version, firmware, build, release ...
	cuePostcode                   // postcode, zip, plz, cep, pincode ...
	cueAddress                    // address, adresse, endereço, ship, deliver, live ...
	cueDOB                        // dob, birth, born, birthday, geburtsdatum, naissance ...
	cueName                       // name, nom, nome, vorname, surname ...
	cueSecret                     // password, passwort, senha, pin, otp, token, apikey ...
	cueOrder                      // order, bestellung, commande, pedido, invoice ...
	cueTracking                   // tracking, shipment, parcel, sendung, colis, rastreio ...
	cueTicket                     // ticket, case, incident, chamado ...
	cueSKU                        // sku, item, article, model, ean, upc ...
	cueCoupon                     // coupon, promo, voucher, gutschein, cupom ...
	cueSerial                     // serial, imei, device ...
	cueCustomer                   // customer, member, loyalty, kunde, cliente ...
	cueLast4                      // ending, ends, last ...
	cueNumberWord                 // number, no, nr, num, nummer, numéro, número, id
	cueIs                         // is, =, ist, est, é, es, : (as word), was
	cueCarrier                    // ups, fedex, dhl, usps, royal (mail), hermes ...

	wGreeting    // hi, hello, dear, bonjour, olá ...
	wSignoff     // thanks, regards, cheers, cordialement, atenciosamente ...
	wTitle       // mr, mrs, ms, dr, herr, frau, monsieur, sr, sra, shri ...
	wStop        // common function words that are never a name or a secret
	wCommon      // common capitalised nouns and places that collide with names
	wStreet      // street suffixes: street, st, road, avenue, lane ...
	wStreetWeak  // suffixes that are also ordinary words: drive, way, park ...
	wStreetPre   // street types written first: rue, avenue, rua, avenida, calle ...
	wStreetDE    // German street words standing alone: straße, weg, platz ...
	wUnit        // apt, suite, flat, floor, apto, bloco, étage ...
	wMeasure     // tb, gb, kg, pcs, x, items, days ...
	wProduct     // polo, boots, shirt, perfume, bag ... (what follows a brand)
	wMonth       // month names, many languages; the month number is in monthOf
	wDirection   // n, s, e, w, nw, ne, sw, se, north, south ...
	wIndianAddr  // nagar, colony, layout, sector, marg, cross, main, apartments ...
	wState       // US state abbreviations and names (for ZIP context)
	wCity        // large cities of the supported countries (postcode context)
	wGiven       // given names (public-domain name statistics)
	wSurname     // surnames
	wAmbiguous   // names that are also words: will, mark, may, grace, jordan ...
	wNameCue     // "called", "named", "heiße", "appelle", "chamo", "llamo"
	wParticle    // da, de, do, dos, van, von, le, la, di, del, bin, al
	wCurrency    // usd, eur, gbp, inr, brl, dollars, euros, rupees, reais
	wOrdinalWord // first, second, third ...
	wSupportNoun // team, support, everyone, all, there, sir, madam (after greetings)
	wLocSuffix   // town, city, village (a place, not a person)
	wBrandFirst  // first word of a listed brand ("tommy", "dr", "ben")
	wAddrTrigger // words that start an Indian, PO box or German "Am Markt 3" address
	wIntro       // "I'm", "am", "this is", "ich bin", "je suis", "sou", "aqui é"
	wAtWord      // "at", "arroba", "arobase", "chez" (obfuscated emails)
)

// monthOf maps a lexicon month word to 1..12; kept beside the bits because
// it is only read by the date parser.
type lexicon struct {
	cls     [256]uint8 // byte classes for the scanner
	words   map[string]lex
	table   lexTable // the same words, for the scanner's hot path
	monthOf map[string]int
	brands  map[string]bool // lower-cased multi-word brand names that look like people
}

func addWords(m map[string]lex, bits lex, list string) {
	for _, w := range strings.Fields(list) {
		m[w] |= bits
	}
}

// newLexicon builds the word tables. It runs once per Filter (New), so no
// package state is shared between filters.
func newLexicon() *lexicon {
	m := make(map[string]lex, 4096)
	addWords(m, cuePhone, `phone phones tel tele telephone telephones telefone telefon telefonnummer rufnummer handy handynummer
		mobil mobilnummer mobile mob cell cellphone cellular celular whatsapp wa sms text texts call called calling ring fax
		landline téléphone telephone tél portable fone zap contato contact ligar liga ligue appeler appelez anrufen
		anruf numéro numero número phoneno tfn ph mobileno callback`)
	addWords(m, cueEmail, `email emails mail e-mail mailid courriel correo emailadresse adresse-mail`)
	addWords(m, cueCard, `card cards credit debit visa mastercard amex discover maestro jcb diners rupay elo hipercard
		karte kreditkarte carte cartão cartao tarjeta cc cardnumber kartennummer`)
	addWords(m, cueIBAN, `iban`)
	addWords(m, cueAccount, `account accounts acct acc konto kontonummer kto compte conta agência agencia ag rib bsb`)
	addWords(m, cueBank, `bank banking banks routing aba rtn checking savings blz bankleitzahl ifsc sort wire transfer
		deposit payout poupança poupanca corrente banco banque bancaire bancária bancaria girokonto
		überweisung virement transferência transferencia ted pix neft rtgs imps`)
	addWords(m, cueSSN, `ssn ssns social`)
	addWords(m, cueNINO, `nino nin national insurance ni`)
	addWords(m, cueIP, `ip ips ipv4 ipv6 server host router gateway vpn proxy firewall whitelist allowlist
		ip-adresse ip-address dns`)
	addWords(m, cueVersion, `version versions ver firmware fw build release releases update updated updating upgrade upgraded
		patch software app os ios android versão versao versión aktualisiert mise jour`)
	addWords(m, cuePostcode, `postcode postcodes postal zip zipcode plz postleitzahl cep pincode`)
	addWords(m, cueAddress, `address addresses addr adresse anschrift endereço endereco morada ship shipping shipped deliver
		delivered delivery live lives living moved reside residence lieferadresse rechnungsadresse wohnhaft wohne
		livraison domicile entrega moro mora billing street strasse`)
	addWords(m, cueDOB, `dob birth born birthday birthdate bday b-day geburtsdatum geboren geburtstag geb naissance né née
		nascimento nascido nascida nasci nasceu aniversário aniversario nacimiento nacido cumpleaños`)
	addWords(m, cueName, `name names nome nom prénom prenom vorname nachname surname lastname firstname fullname
		sobrenome apellido nombre`)
	addWords(m, cueSecret, `password passwords passwort passwd pwd pw pass passcode passphrase passwort kennwort mdp senha
		contraseña contrasena clave pin otp token tokens apikey api_key secret secrets credential credentials
		bearer auth cvv cvc csc cvv2 login code codigo código key keys passe tan schlüssel chave clé`)
	addWords(m, cueOrder, `order orders ord bestellung bestellungen bestellnummer auftrag auftragsnummer commande commandes
		pedido pedidos encomenda invoice invoices inv rechnung rechnungsnummer facture fatura nota receipt transaction txn
		booking reservation confirmation ref reference referenz référence referência referencia po purchase rma return
		returns refund reembolso remboursement erstattung`)
	addWords(m, cueTracking, `tracking track tracked shipment parcel package consignment waybill awb sendung sendungsnummer
		paket colis suivi rastreio rastreamento objeto`)
	addWords(m, cueCarrier, `ups fedex dhl usps hermes dpd gls correios royal chronopost colissimo bluedart delhivery
		ontrac laposte evri yodel`)
	addWords(m, cueTicket, `ticket tickets case cases incident inc issue request req sr chamado protocolo vorgang dossier
		réclamation reclamação jira`)
	addWords(m, cueSKU, `sku skus item items product products article artikel artikelnummer art model modelo modèle part
		asin ean upc gtin barcode isbn mpn style variant référence produit produto`)
	addWords(m, cueCoupon, `coupon coupons promo promocode voucher vouchers discount gift giftcard gutschein rabatt rabattcode
		gutscheincode cupom cupon code-promo`)
	addWords(m, cueSerial, `serial serialnumber imei device seriennummer série serie`)
	addWords(m, cueCustomer, `customer member membership loyalty kunde kundennummer cliente client user userid username
		subscriber subscription`)
	addWords(m, cueLast4, `ending ends ended last terminating final endet finissant terminando terminado`)
	addWords(m, cueNumberWord, `number numbers no nr num nummer numéro numero número id n° nº code #`)
	addWords(m, cueIs, `is ist est é es was are sind son são`)

	addWords(m, wGreeting, `hi hello hey dear hallo liebe lieber bonjour bonsoir salut olá ola oi prezado prezada caro cara
		namaste hiya heya greetings morning afternoon evening howdy yo moin servus querido querida estimado estimada
		hola`)
	addWords(m, wSignoff, `thanks thank thx ty regards cheers sincerely best cordialement merci grüße grüssen gruesse gruß
		gruss grüßen grussen danke obrigado obrigada atenciosamente abraços abraço abs saludos gracias warmly respectfully faithfully
		yours love bisous bises cumprimentos lg vg mfg`)
	addWords(m, wTitle, `mr mrs ms miss mx dr prof sir dame herr frau fr hr monsieur madame mademoiselle mme mlle m sr sra
		srta dona dom senhor senhora shri sri smt kumari señor señora don doña mister missus doctor`)
	addWords(m, wStop, stopWords)
	addWords(m, wCommon, commonCapitalised)
	addWords(m, wStreet, `street st road rd avenue ave av lane ln drive dr boulevard blvd court ct place pl square sq terrace
		tce way close crescent cres grove gardens gdns parkway pkwy highway hwy circle cir trail trl walk row mews hill
		view rise green parade pde park alley plaza wharf quay embankment path loop pike turnpike expressway freeway
		broadway crossing xing heights hts ridge point pt landing estates vale end gate market wynd chase`)
	addWords(m, wStreetWeak, `drive dr way park hill view green walk row rise court ct place pl circle square close trail
		loop path plaza point pt landing heights ridge end gate market chase vale estates crossing`)
	addWords(m, wStreetPre, `r rue avenue av ave boulevard bd bld blvd place allée allee impasse imp chemin route rte quai cours
		passage square sentier rua avenida travessa tv trav alameda al praça praca rodovia rod estrada largo calle carrera
		via viale piazza corso strada vicolo ladeira beco`)
	addWords(m, wStreetDE, `straße strasse str weg gasse platz allee ring damm ufer chaussee steig pfad markt`)
	addWords(m, wUnit, `apt apartment suite ste unit flat floor fl room rm bldg building apto apartamento ap bloco bl andar
		sala casa conjunto cj étage etage bâtiment batiment bât bat appartement appt wohnung whg stock og eg dg
		tower block wing door house plot lote quadra qd conj appartement app etg étg og ug dg hochparterre
		lot bureau office cj`)
	addWords(m, wMeasure, `tb gb mb kb kg g gr lb lbs oz ml l cl cm mm km in inch inches ft pcs pc pieces piece x pack pk
		items units qty days day hours hour hrs hr minutes minute mins min weeks week months month years year yrs
		times percent pairs pair boxes box bottles bottle bags cans liters litres stück stk mal fois vezes unidades`)
	addWords(m, wProduct, `polo polos shirt shirts boots boot shoes shoe jeans jacket jackets dress dresses perfume cologne
		fragrance bag bags handbag purse watch watches sneakers trainers ice cream whisky whiskey bourbon sauce sunglasses
		belt wallet hoodie sweater coat tee t-shirt shorts skirt socks underwear bra bottle mug lipstick mascara
		serum shampoo conditioner cereal coffee tea soda chocolate cookies candle glasses frames collection edition
		store stores outlet brand jersey trousers pants loafers heels sandals backpack scarf tie blouse cardigan
		fleece parka vest tote eyewear lotion cleanser moisturizer tractor tractors beer vodka rum gin
		gym fitness pizza burger fries restaurant hotel kurta saree sari lehenga dupatta salwar sandália sandalia bolsa
		sapato sapatos tênis tenis vestido camisa jaqueta relógio relogio óculos oculos linha coleção colecao marca
		produto jacke schuhe tasche duft parfüm parfum uhr kleid hemd hose marke produkt sac chaussures robe veste
		montre chemise marque produit gamme blu-ray dvd album novel movie console eraser cleaner coffret stock
		hoodies sneaker`)
	addWords(m, wDirection, `n s e w nw ne sw se north south east west nord sud süd ost`)
	addWords(m, wSignoff, `beste herzliche freundliche beijos bjs beijo xoxo xx hugs bisous besos cariños`)
	addWords(m, wIndianAddr, `nagar colony layout sector marg cross main apartments apartment apts society enclave vihar
		extension extn phase stage block chowk bazar bazaar gali galli residency heights complex towers tower niwas
		nivas bhavan sadan puram palli pally wadi peth mohalla lane road street kunj estate bagh ganj puri pura
		chs hsg mansion mansions house villa villas layout`)
	addWords(m, wState, usStates)
	addWords(m, wCity, cities)
	addWords(m, wGiven, givenNames)
	addWords(m, wSurname, surnames)
	addWords(m, wAmbiguous, ambiguousNames)
	addWords(m, wNameCue, `called named heiße heisse heiß appelle chamo llamo naam chez beneficiary beneficiário beneficiario kontoinhaber inhaber holder cardholder recipient empfänger destinatário destinataire titular attn attention signed contact`)
	addWords(m, wParticle, `da de do dos das van von der den le la di del della du des bin al el ten ter y e`)
	addWords(m, wCurrency, `usd eur gbp inr brl chf cad aud jpy dollar dollars euro euros pound pounds rupee rupees rs
		real reais cents pence`)
	addWords(m, wOrdinalWord, `first second third fourth fifth sixth seventh eighth ninth tenth`)
	addWords(m, wSupportNoun, `team support everyone everybody all there sir madam mam guys folks friend friends agent
		agents customer service team's again both you y'all colleagues team,`)
	addWords(m, wLocSuffix, `town city village county district state province`)
	addWords(m, wIntro, `m am bin suis sou is s aqui here`)
	addWords(m, wAtWord, `at arroba arobase chez`)
	addWords(m, wAddrTrigger, `flat house plot door shop h hno villa bungalow block po p postfach caixa
		am an im auf zum zur in unter hinter vor alte alter neue neuer obere untere`)

	months := map[string]int{}
	for i, list := range [12]string{
		"january jan januar janvier janeiro enero jän jänner janv",
		"february feb februar février fevrier fevereiro febrero fév fev févr",
		"march mar märz maerz mars março marco marzo mär mrz",
		"april apr avril abril avr",
		"may mai maio mayo",
		"june jun juni juin junho junio",
		"july jul juli juillet julho julio juil",
		"august aug août aout agosto ago",
		"september sep sept septembre setembro septiembre set",
		"october oct oktober octobre outubro octubre okt out",
		"november nov novembre novembro noviembre",
		"december dec dezember décembre decembre dezembro diciembre dez déc dic",
	} {
		for _, w := range strings.Fields(list) {
			months[w] = i + 1
			m[w] |= wMonth
		}
	}
	brands := map[string]bool{}
	for _, b := range strings.Split(brandNames, ",") {
		if b = strings.ToLower(strings.Join(strings.Fields(b), " ")); b != "" {
			brands[b] = true
			first := b
			if k := strings.IndexFunc(b, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }); k > 0 {
				first = b[:k]
			}
			m[first] |= wBrandFirst
		}
	}
	l := &lexicon{words: m, table: newLexTable(m), monthOf: months, brands: brands}
	for c := 0; c < 256; c++ {
		switch {
		case c >= '0' && c <= '9':
			l.cls[c] = clsDigit | clsASCIIWord
		case c >= 'a' && c <= 'z':
			l.cls[c] = clsLower | clsASCIIWord
		case c >= 'A' && c <= 'Z':
			l.cls[c] = clsUpper | clsASCIIWord
		case c >= 0x80:
			l.cls[c] = clsHigh
		case c == '$':
			l.cls[c] = clsCurrency
		}
	}
	return l
}

// Byte classes (lexicon.cls); 0 is an ASCII separator.
const (
	clsDigit uint8 = 1
	clsLower uint8 = 2
	clsUpper uint8 = 4
	clsHigh  uint8 = 16 // a byte of a multi-byte rune: decode it
	// clsASCIIWord marks ASCII letters and digits, so the scanner's inner
	// loop tests one bit
	clsASCIIWord uint8 = 8
	clsWord            = clsASCIIWord | clsHigh
	// clsOtherLetter is never in the table: the scanner's mark for a letter
	// outside ASCII that has no case (or a digit outside ASCII, which counts
	// as a letter too)
	clsOtherLetter uint8 = 128

	clsCurrency uint8 = 32 // '$'
)

// Scanner marks (doc.marks). A separator's byte class is or-ed in as is, so
// markCurrency is clsCurrency.
const (
	markCurrency       = clsCurrency // '$', '€', '£', '¥', '₹'
	markToken    uint8 = 64          // a word that may start a cxgate token
	markNonASCII uint8 = 128         // a byte outside ASCII
	markInvalid  uint8 = 1           // a byte that is not valid UTF-8 (never a separator's class)
)

// lexTable is an open-addressing hash table over the words of the lexicon
// (all are at most lexKeyMax bytes), for the scanner's one lookup per word. A word of up to 24 bytes
// is read as three little-endian 64-bit integers straight from the
// lower-cased text (zero-padded: words hold no NUL byte, so the integers
// identify the word), hashed by multiplication and compared as integers:
// no string comparison, no per-byte hashing. Slots are 4 bytes (16 bits of
// hash tag, 16 bits of index) so the slot array stays in the L1 cache, and
// a miss rarely touches a key.
type lexTable struct {
	shift uint8    // 64 - log2(len(slots))
	slots []uint32 // high 16 bits: hash tag; low 16: index+1 into keys (0 = empty)
	keys  [][3]uint64
	vals  []lex
}

// lexKeyMax is the longest word the table holds; the scanner looks up only
// words up to this length.
const lexKeyMax = 24

// lexHash mixes a word's key integers; the table indexes by its top bits.
func lexHash(k0, k1, k2 uint64) uint64 {
	h := k0 * 0x9e3779b97f4a7c15
	if k1 != 0 {
		h ^= (k1 ^ k2*0xc2b2ae3d27d4eb4f) * 0xff51afd7ed558ccd
		h ^= h >> 29
	}
	return h
}

// lexKey reads the word b[s:e] (e-s <= lexKeyMax) as key integers. b must
// extend at least lexKeyMax bytes past s (the scanner pads its buffer).
func lexKey(b []byte, s, e int) (k0, k1, k2 uint64) {
	l := e - s
	b = b[s : s+lexKeyMax]
	k0 = binary.LittleEndian.Uint64(b)
	if l < 8 {
		return k0 & (1<<(8*uint(l)) - 1), 0, 0
	}
	k1 = binary.LittleEndian.Uint64(b[8:])
	if l < 16 {
		return k0, k1 & (1<<(8*uint(l-8)) - 1), 0
	}
	k2 = binary.LittleEndian.Uint64(b[16:])
	if l < 24 {
		k2 &= 1<<(8*uint(l-16)) - 1
	}
	return k0, k1, k2
}

func newLexTable(m map[string]lex) lexTable {
	var words []string
	for k := range m {
		if len(k) <= lexKeyMax && strings.IndexByte(k, 0) < 0 {
			words = append(words, k)
		}
	}
	slices.Sort(words) // the table's layout does not depend on map order
	bits := uint8(4)
	for 1<<bits < 2*len(words) {
		bits++
	}
	t := lexTable{shift: 64 - bits, slots: make([]uint32, 1<<bits)}
	mask := uint32(1<<bits - 1)
	var buf [2 * lexKeyMax]byte
	for _, w := range words {
		copy(buf[:], w)
		clear(buf[len(w):])
		k0, k1, k2 := lexKey(buf[:], 0, len(w))
		t.keys = append(t.keys, [3]uint64{k0, k1, k2})
		t.vals = append(t.vals, m[w])
		h := lexHash(k0, k1, k2)
		slot := uint32(h)&0xffff0000 | uint32(len(t.keys))
		for i := uint32(h >> t.shift); ; i = (i + 1) & mask {
			if t.slots[i] == 0 {
				t.slots[i] = slot
				break
			}
		}
	}
	return t
}

// get returns the classes of the lower-case word b[s:e] (at most lexKeyMax
// bytes, no NUL byte); b must extend lexKeyMax bytes past s (lexKey).
func (t *lexTable) get(b []byte, s, e int) lex {
	k0, k1, k2 := lexKey(b, s, e)
	h := lexHash(k0, k1, k2)
	tag := uint32(h) & 0xffff0000
	mask := uint32(len(t.slots) - 1)
	for i := uint32(h >> t.shift); ; i = (i + 1) & mask {
		sl := t.slots[i&mask]
		if sl == 0 {
			return 0
		}
		if sl&0xffff0000 == tag {
			k := int(sl&0xffff) - 1
			if key := &t.keys[k]; key[0] == k0 && key[1] == k1 && key[2] == k2 {
				return t.vals[k]
			}
		}
	}
}

// lookup lower-cases w (ASCII fast path) and returns its classes. buf is
// scratch space so the common case does not allocate.
func (l *lexicon) lookup(w string, buf []byte) lex {
	if len(w) > len(buf) {
		return 0
	}
	b := buf[:0]
	ascii := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	if !ascii {
		b = buf[:0]
		for _, r := range w {
			b = utf8.AppendRune(b, unicode.ToLower(r))
			if len(b) > len(buf)-4 {
				return 0
			}
		}
	}
	if len(b) <= lexKeyMax && bytes.IndexByte(b, 0) < 0 {
		return l.table.get(buf, 0, len(b)) // buf extends past b: lexKey reads whole integers
	}
	return l.words[string(b)]
}

// lower is strings.ToLower without the allocation for ASCII-lower input.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || (c >= 'A' && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}
