package sampledata

// The fixed vocabulary the sessions are drawn from. Read only.

type product struct {
	id, name, category string
	cents              int64 // price in US cents; other currencies are converted
}

var products = [...]product{
	{"P1001", "Trail Runner Shoe", "shoes", 5990},
	{"P1002", "Über Sneaker", "shoes", 8999},
	{"P1003", "Zapato Niño Azul", "shoes", 3450},
	{"P1004", "São Paulo Jersey", "apparel", 7900},
	{"P1005", "Łódź Linen Shirt", "apparel", 4425},
	{"P1006", "Москва Wool Scarf", "apparel", 2999},
	{"P1007", "東京 Tote Bag", "accessories", 1850},
	{"P1008", "Señorita Sunglasses", "accessories", 6499},
	{"P1009", "Emoji Socks 🧦", "apparel", 999},
	{"P1010", "Café Crème Mug", "kitchen", 1299},
	{"P1011", "Crème Brûlée Torch", "kitchen", 2490},
	{"P1012", "Smörgås Board", "kitchen", 3975},
	{"P1013", "München Beer Stein 🍺", "kitchen", 2250},
	{"P1014", "抹茶 Matcha Green Tea 100g", "grocery", 1725},
	{"P1015", "김치 Kimchi Jar", "grocery", 899},
	{"P1016", "Jalapeño Hot Sauce", "grocery", 650},
	{"P1017", "Ελληνικό Olive Oil 1L", "grocery", 1995},
	{"P1018", "Piñata 🎉 Party Kit", "toys", 3499},
	{"P1019", "Robot Kit — Level 2", "toys", 11900},
	{"P1020", "Rubik's Cube 3×3", "toys", 1499},
	{"P1021", `Monitor 27" 4K`, "electronics", 32999},
	{"P1022", "USB-C Cable 2m", "electronics", 1199},
	{"P1023", "Noise-Cancelling Headphones 🎧", "electronics", 24950},
	{"P1024", "Smartwatch Série 5", "electronics", 19900},
	{"P1025", "Eau de Parfum «Été»", "beauty", 8800},
	{"P1026", "日焼け止め Sunscreen SPF50", "beauty", 1540},
	{"P1027", "Argan Oil 50ml", "beauty", 1275},
	{"P1028", "Cien años de soledad", "books", 1890},
	{"P1029", "Go in Action, 2nd ed.", "books", 4499},
	{"P1030", "北京 Travel Guide", "books", 2230},
	{"P1031", "Yoga Mat 🧘 6mm", "sports", 3299},
	{"P1032", "Kettlebell 12kg", "sports", 5400},
	{"P1033", "Bicicleta Infantil 16\"", "sports", 15999},
	{"P1034", "Duvet Cover — Queen", "home", 6950},
	{"P1035", "Scented Candle 🕯️ Vanille", "home", 1600},
	{"P1036", "Ceramic Vase Ø20cm", "home", 2775},
	{"P1037", "Garden Gnome 🍄", "garden", 2100},
	{"P1038", "Hose Reel 30m", "garden", 4650},
	{"P1039", "Backpack 25L", "accessories", 5525},
	{"P1040", "Gift Card", "gift_cards", 2500},
}

var categories = [...]string{
	"shoes", "apparel", "accessories", "kitchen", "grocery", "toys",
	"electronics", "beauty", "books", "sports", "home", "garden",
}

type country struct {
	code, currency string
	// milli converts US cents: price = cents * milli / 1000, in the currency's
	// cents; integral currencies round to whole units.
	milli    int64
	integral bool
}

var countries = [...]country{
	{"BR", "BRL", 4950, false},
	{"US", "USD", 1000, false},
	{"US", "USD", 1000, false},
	{"DE", "EUR", 920, false},
	{"FR", "EUR", 920, false},
	{"ES", "EUR", 920, false},
	{"PT", "EUR", 920, false},
	{"GB", "GBP", 790, false},
	{"JP", "JPY", 148000, true},
	{"KR", "KRW", 1330000, true},
	{"IN", "INR", 83100, false},
	{"MX", "MXN", 17100, false},
	{"CA", "CAD", 1350, false},
	{"AU", "AUD", 1520, false},
	{"PL", "PLN", 4010, false},
	{"NG", "NGN", 890000, false},
}

var (
	mobileAgents = [...]string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
		"Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
		"ShopApp/5.12.0 (Android 12; Xiaomi Redmi Note 11) okhttp/4.12.0",
		"ShopApp/5.11.3 (iOS 16.7; iPhone12,1) CFNetwork/1410.0.3 Darwin/22.6.0",
	}
	desktopAgents = [...]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
	}
	tabletAgents = [...]string{
		"Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36",
	}
)

var devices = [...]string{"mobile", "desktop", "tablet"}

func agentsFor(device int) []string {
	switch device {
	case 0:
		return mobileAgents[:]
	case 1:
		return desktopAgents[:]
	default:
		return tabletAgents[:]
	}
}

var externalReferrers = [...]string{
	"https://www.google.com/",
	"https://www.google.com.br/",
	"https://www.bing.com/search?q=trail+runner",
	"https://www.facebook.com/",
	"https://t.co/x7Qm2LrB9a",
	"https://newsletter.example.com/2024/01?utm_source=email",
	"android-app://com.google.android.gm/",
	"https://duckduckgo.com/",
}

var staticPages = [...]string{
	"/", "/home", "/cart", "/account/orders", "/help/shipping", "/help/returns",
	"/blog/summer-looks-2024", "/deals?utm_source=newsletter&utm_medium=email",
}

var searchTerms = [...]string{
	"shoes", "caf%C3%A9+mug", "抹茶", "headphones&sort=price_asc", "gift+card",
	"sneaker&page=2", "🧦", "crème",
}

var appVersions = [...]string{"5.12.0", "5.11.3", "5.10.1-beta", "web-2024.01.3"}

// timezone offsets in minutes, as clients in the field send them.
var offsets = [...]int{120, -300, 330, -330, 540, -180, 0, 60, 345, -480, 630, -570}
