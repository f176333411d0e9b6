//! Country profiles for synthetic companies: web domain, phone numbering, legal form, currency,
//! real cities and the names people there commonly have.
//!
//! Thirteen countries have their own name pack (US, GB, FR, DE, ES, IT, NL, SE, CA, AU, IN, BR,
//! JP); neighbours share one where the names fit (AT/CH take the German pack, BE/LU the French,
//! IE/NZ the British, Latin America the Spanish, PT the Brazilian, DK/NO the Swedish). Every other
//! country the planner knows gets its real dialling code, ccTLD and cities with an international
//! pack; a code we do not know at all gets no phone and no city rather than wrong ones.

/// How people of a country are named.
pub(super) struct NamePack {
    pub first: &'static [&'static str],
    pub last: &'static [&'static str],
    /// English brand words and their local form ("Finance" → "Finanz"), used for some companies.
    pub local_words: &'static [(&'static str, &'static str)],
    /// Whether emails spell umlauts out (`Müller` → `mueller`), as German-speaking companies do.
    pub umlauts_spelled_out: bool,
}

/// What a synthetic company in one country looks like.
pub(super) struct Country {
    /// ISO 3166-1 alpha-2.
    pub code: &'static str,
    /// Web suffix after the company's name (`fr`, `co.uk`).
    pub tld: &'static str,
    /// Calling code without `+`; empty when unknown (no phone is made up then).
    pub dial: &'static str,
    /// Leading digits of national numbers (mobile ranges, big-city area codes).
    pub phone_prefixes: &'static [&'static str],
    /// Length of the national significant number (what follows the calling code).
    pub phone_digits: usize,
    /// Legal form some companies append to their name (`GmbH`); empty when none is used.
    pub legal_form: &'static str,
    /// The currency the country's funding rounds are usually reported in (`€`, `£`, `$`).
    pub currency: &'static str,
    /// Real cities, English spelling as in the planner's vocabulary, biggest tech hub first.
    pub cities: &'static [&'static str],
    pub names: &'static NamePack,
}

/// The profile of `code` (case-insensitive), or the fallback profile carrying that code.
pub(super) fn country(code: &str) -> &'static Country {
    COUNTRIES.iter().find(|c| c.code.eq_ignore_ascii_case(code)).unwrap_or(&UNKNOWN)
}

/// The country of a city we know (`Lyon` → FR), compared case-insensitively.
pub(super) fn country_of_city(city: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.cities.iter().any(|known| known.eq_ignore_ascii_case(city.trim())))
}

/// Used for country codes outside the table: `.com`, no phone, no city.
static UNKNOWN: Country = Country {
    code: "",
    tld: "com",
    dial: "",
    phone_prefixes: &[""],
    phone_digits: 0,
    legal_form: "",
    currency: "$",
    cities: &[],
    names: &INTERNATIONAL,
};

macro_rules! country {
    ($code:literal, $tld:literal, $dial:literal, $prefixes:expr, $digits:literal, $legal:literal, $currency:literal, $cities:expr, $names:expr) => {
        Country {
            code: $code,
            tld: $tld,
            dial: $dial,
            phone_prefixes: $prefixes,
            phone_digits: $digits,
            legal_form: $legal,
            currency: $currency,
            cities: $cities,
            names: $names,
        }
    };
}

#[rustfmt::skip]
pub(super) static COUNTRIES: &[Country] = &[
    // Countries with their own name pack. US/CA numbers use area codes of the listed cities.
    country!("US", "com", "1", &["212", "415", "617", "512", "206", "310", "312", "303", "305", "404", "646", "650"], 10, "Inc.", "$",
        &["New York", "San Francisco", "Boston", "Austin", "Seattle", "Los Angeles", "Chicago", "Denver", "Miami", "Atlanta"], &US_NAMES),
    country!("GB", "co.uk", "44", &["7700", "7911", "20", "161", "131", "117"], 10, "Ltd", "£",
        &["London", "Manchester", "Edinburgh", "Bristol", "Cambridge", "Leeds"], &GB_NAMES),
    country!("FR", "fr", "33", &["6", "7", "1"], 9, "SAS", "€",
        &["Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux", "Lille", "Nantes"], &FR_NAMES),
    country!("DE", "de", "49", &["151", "160", "170", "176", "30", "89"], 11, "GmbH", "€",
        &["Berlin", "Munich", "Hamburg", "Frankfurt", "Cologne", "Stuttgart", "Dusseldorf", "Leipzig"], &DE_NAMES),
    country!("ES", "es", "34", &["6", "7", "91", "93"], 9, "S.L.", "€",
        &["Madrid", "Barcelona", "Valencia", "Malaga", "Seville"], &ES_NAMES),
    country!("IT", "it", "39", &["33", "34", "38", "02"], 10, "S.r.l.", "€",
        &["Milan", "Rome", "Turin", "Bologna", "Florence"], &IT_NAMES),
    country!("NL", "nl", "31", &["6", "20", "10"], 9, "B.V.", "€",
        &["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "The Hague"], &NL_NAMES),
    country!("SE", "se", "46", &["70", "72", "73", "8"], 9, "AB", "€",
        &["Stockholm", "Gothenburg", "Malmo", "Uppsala"], &SE_NAMES),
    country!("CA", "ca", "1", &["416", "647", "514", "438", "604", "778"], 10, "Inc.", "CA$",
        &["Toronto", "Montreal", "Vancouver", "Ottawa", "Calgary"], &CA_NAMES),
    country!("AU", "com.au", "61", &["4", "2", "3"], 9, "Pty Ltd", "A$",
        &["Sydney", "Melbourne", "Brisbane", "Perth"], &AU_NAMES),
    country!("IN", "in", "91", &["9", "8", "7"], 10, "Pvt Ltd", "$",
        &["Bangalore", "Mumbai", "Delhi", "Hyderabad", "Pune", "Chennai"], &IN_NAMES),
    country!("BR", "com.br", "55", &["119", "219", "319"], 11, "Ltda.", "$",
        &["Sao Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba"], &BR_NAMES),
    country!("JP", "co.jp", "81", &["90", "80", "70", "3"], 10, "K.K.", "$",
        &["Tokyo", "Osaka", "Fukuoka", "Kyoto"], &JP_NAMES),
    // Neighbours sharing a pack.
    country!("AT", "at", "43", &["664", "676", "1"], 10, "GmbH", "€", &["Vienna", "Graz", "Linz"], &DE_NAMES),
    country!("CH", "ch", "41", &["79", "78", "44"], 9, "AG", "CHF ", &["Zurich", "Geneva", "Basel", "Lausanne"], &DE_NAMES),
    country!("LI", "li", "423", &["7", "2"], 7, "AG", "CHF ", &["Vaduz"], &DE_NAMES),
    country!("BE", "be", "32", &["47", "48", "2"], 9, "SRL", "€", &["Brussels", "Antwerp", "Ghent"], &FR_NAMES),
    country!("LU", "lu", "352", &["621", "661"], 9, "S.à r.l.", "€", &["Luxembourg"], &FR_NAMES),
    country!("IE", "ie", "353", &["85", "87", "1"], 9, "Ltd", "€", &["Dublin", "Cork", "Galway"], &GB_NAMES),
    country!("NZ", "co.nz", "64", &["21", "22", "9"], 9, "Ltd", "NZ$", &["Auckland", "Wellington"], &GB_NAMES),
    country!("PT", "pt", "351", &["91", "93", "96", "21"], 9, "Lda.", "€", &["Lisbon", "Porto", "Braga"], &BR_NAMES),
    country!("DK", "dk", "45", &["2", "3", "4"], 8, "ApS", "€", &["Copenhagen", "Aarhus"], &SE_NAMES),
    country!("NO", "no", "47", &["4", "9"], 8, "AS", "€", &["Oslo", "Bergen", "Trondheim"], &SE_NAMES),
    country!("MX", "com.mx", "52", &["55", "33", "81"], 10, "S.A. de C.V.", "$", &["Mexico City", "Guadalajara", "Monterrey"], &ES_NAMES),
    country!("AR", "com.ar", "54", &["911"], 10, "S.R.L.", "$", &["Buenos Aires", "Cordoba"], &ES_NAMES),
    country!("CL", "cl", "56", &["9"], 9, "SpA", "$", &["Santiago"], &ES_NAMES),
    country!("CO", "com.co", "57", &["30", "31"], 10, "S.A.S.", "$", &["Bogota", "Medellin"], &ES_NAMES),
    country!("PE", "pe", "51", &["9"], 9, "S.A.C.", "$", &["Lima"], &ES_NAMES),
    country!("UY", "com.uy", "598", &["9"], 8, "S.A.", "$", &["Montevideo"], &ES_NAMES),
    // Other countries the planner reads: real codes and cities, international names.
    country!("FI", "fi", "358", &["40", "50"], 9, "Oy", "€", &["Helsinki", "Espoo", "Tampere"], &INTERNATIONAL),
    country!("IS", "is", "354", &["6", "8"], 7, "ehf.", "€", &["Reykjavik"], &INTERNATIONAL),
    country!("PL", "pl", "48", &["5", "6", "7"], 9, "sp. z o.o.", "€", &["Warsaw", "Krakow", "Wroclaw"], &INTERNATIONAL),
    country!("CZ", "cz", "420", &["6", "7"], 9, "s.r.o.", "€", &["Prague", "Brno"], &INTERNATIONAL),
    country!("SK", "sk", "421", &["9"], 9, "s.r.o.", "€", &["Bratislava"], &INTERNATIONAL),
    country!("HU", "hu", "36", &["20", "30", "70"], 9, "Kft.", "€", &["Budapest"], &INTERNATIONAL),
    country!("RO", "ro", "40", &["7"], 9, "S.R.L.", "€", &["Bucharest", "Cluj-Napoca"], &INTERNATIONAL),
    country!("BG", "bg", "359", &["8"], 9, "OOD", "€", &["Sofia"], &INTERNATIONAL),
    country!("HR", "hr", "385", &["9"], 9, "d.o.o.", "€", &["Zagreb"], &INTERNATIONAL),
    country!("SI", "si", "386", &["4", "3"], 8, "d.o.o.", "€", &["Ljubljana"], &INTERNATIONAL),
    country!("GR", "gr", "30", &["69"], 10, "", "€", &["Athens", "Thessaloniki"], &INTERNATIONAL),
    country!("CY", "com.cy", "357", &["9"], 8, "Ltd", "€", &["Limassol", "Nicosia"], &INTERNATIONAL),
    country!("MT", "com.mt", "356", &["79", "99"], 8, "Ltd", "€", &["Valletta"], &INTERNATIONAL),
    country!("EE", "ee", "372", &["5"], 8, "OÜ", "€", &["Tallinn", "Tartu"], &INTERNATIONAL),
    country!("LV", "lv", "371", &["2"], 8, "SIA", "€", &["Riga"], &INTERNATIONAL),
    country!("LT", "lt", "370", &["6"], 8, "UAB", "€", &["Vilnius"], &INTERNATIONAL),
    country!("UA", "com.ua", "380", &["50", "67", "93"], 9, "", "$", &["Kyiv", "Lviv"], &INTERNATIONAL),
    country!("RS", "rs", "381", &["6"], 9, "d.o.o.", "€", &["Belgrade"], &INTERNATIONAL),
    country!("TR", "com.tr", "90", &["5"], 10, "A.Ş.", "$", &["Istanbul", "Ankara"], &INTERNATIONAL),
    country!("IL", "co.il", "972", &["5"], 9, "Ltd", "$", &["Tel Aviv", "Jerusalem", "Haifa"], &INTERNATIONAL),
    country!("AE", "ae", "971", &["5"], 9, "FZ-LLC", "$", &["Dubai", "Abu Dhabi"], &INTERNATIONAL),
    country!("SA", "sa", "966", &["5"], 9, "", "$", &["Riyadh", "Jeddah"], &INTERNATIONAL),
    country!("SG", "sg", "65", &["8", "9"], 8, "Pte. Ltd.", "S$", &["Singapore"], &INTERNATIONAL),
    country!("CN", "cn", "86", &["13", "18"], 11, "", "$", &["Shanghai", "Beijing", "Shenzhen"], &INTERNATIONAL),
    country!("KR", "co.kr", "82", &["10"], 10, "", "$", &["Seoul", "Busan"], &INTERNATIONAL),
    country!("HK", "com.hk", "852", &["5", "6", "9"], 8, "Limited", "$", &["Hong Kong"], &INTERNATIONAL),
    country!("TW", "com.tw", "886", &["9"], 9, "", "$", &["Taipei"], &INTERNATIONAL),
    country!("ID", "co.id", "62", &["81"], 11, "PT", "$", &["Jakarta", "Bandung"], &INTERNATIONAL),
    country!("MY", "com.my", "60", &["1"], 9, "Sdn. Bhd.", "$", &["Kuala Lumpur"], &INTERNATIONAL),
    country!("PH", "ph", "63", &["9"], 10, "Inc.", "$", &["Manila", "Cebu"], &INTERNATIONAL),
    country!("TH", "co.th", "66", &["8", "9"], 9, "Co., Ltd.", "$", &["Bangkok"], &INTERNATIONAL),
    country!("VN", "vn", "84", &["9", "3"], 9, "", "$", &["Ho Chi Minh City", "Hanoi"], &INTERNATIONAL),
    country!("ZA", "co.za", "27", &["7", "8"], 9, "(Pty) Ltd", "$", &["Cape Town", "Johannesburg"], &INTERNATIONAL),
    country!("NG", "com.ng", "234", &["80", "81"], 10, "Ltd", "$", &["Lagos", "Abuja"], &INTERNATIONAL),
    country!("KE", "co.ke", "254", &["7"], 9, "Ltd", "$", &["Nairobi"], &INTERNATIONAL),
    country!("EG", "com.eg", "20", &["10", "11"], 10, "", "$", &["Cairo"], &INTERNATIONAL),
    country!("MA", "ma", "212", &["6"], 9, "SARL", "$", &["Casablanca", "Rabat"], &INTERNATIONAL),
];

static US_NAMES: NamePack = NamePack {
    first: &[
        "James", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Ryan", "Lauren", "Tyler", "Megan", "Kevin",
        "Rachel", "Brandon", "Olivia", "Marcus", "Hannah", "Jordan", "Nicole",
    ],
    last: &[
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Wilson", "Anderson", "Taylor", "Thomas", "Moore",
        "Jackson", "Martin", "Lee", "O'Connor", "Nguyen", "Carter", "Brooks",
    ],
    local_words: &[],
    umlauts_spelled_out: false,
};

static GB_NAMES: NamePack = NamePack {
    first: &[
        "Oliver", "Amelia", "Harry", "Isla", "George", "Poppy", "Jack", "Freya", "Charlie", "Imogen", "Alfie", "Eleanor", "Thomas",
        "Sophie", "Callum", "Niamh", "Rhys", "Zara",
    ],
    last: &[
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes", "Clarke",
        "Hall", "Patel", "Murphy", "O'Neill", "Campbell",
    ],
    local_words: &[],
    umlauts_spelled_out: false,
};

static FR_NAMES: NamePack = NamePack {
    first: &[
        "Camille",
        "Léa",
        "Hugo",
        "Chloé",
        "Louis",
        "Manon",
        "Théo",
        "Inès",
        "Julien",
        "Élodie",
        "Mathis",
        "Sarah",
        "Antoine",
        "Clémence",
        "Nicolas",
        "Margaux",
        "Jérôme",
        "Anaïs",
        "Baptiste",
        "Océane",
    ],
    last: &[
        "Martin",
        "Bernard",
        "Dubois",
        "Thomas",
        "Robert",
        "Richard",
        "Petit",
        "Durand",
        "Leroy",
        "Moreau",
        "Lefèvre",
        "Girard",
        "Fontaine",
        "Rousseau",
        "Lemaire",
        "Chevalier",
        "Faure",
        "Gauthier",
        "Mercier",
        "Bonnet",
    ],
    local_words: &[
        ("Health", "Santé"),
        ("Security", "Sécurité"),
        ("Energy", "Énergie"),
        ("Logistics", "Logistique"),
        ("Insurance", "Assurances"),
        ("Systems", "Systèmes"),
        ("Medical", "Médical"),
        ("Mobility", "Mobilité"),
    ],
    umlauts_spelled_out: false,
};

static DE_NAMES: NamePack = NamePack {
    first: &[
        "Lukas",
        "Anna",
        "Jonas",
        "Lea",
        "Felix",
        "Sophie",
        "Maximilian",
        "Marie",
        "Paul",
        "Johanna",
        "Tobias",
        "Katharina",
        "Jürgen",
        "Sören",
        "Jana",
        "Niklas",
        "Lena",
        "Moritz",
    ],
    last: &[
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Meyer",
        "Wagner",
        "Becker",
        "Schulz",
        "Hoffmann",
        "Koch",
        "Richter",
        "Krüger",
        "Schäfer",
        "Wolf",
        "Neumann",
        "Groß",
        "Böhm",
    ],
    local_words: &[
        ("Finance", "Finanz"),
        ("Health", "Gesundheit"),
        ("Security", "Sicherheit"),
        ("Energy", "Energie"),
        ("Logistics", "Logistik"),
        ("Insurance", "Versicherung"),
        ("Systems", "Systeme"),
        ("Medical", "Medizin"),
        ("Robotics", "Robotik"),
    ],
    umlauts_spelled_out: true,
};

static ES_NAMES: NamePack = NamePack {
    first: &[
        "Lucía",
        "Hugo",
        "Martina",
        "Pablo",
        "Sofía",
        "Alejandro",
        "Carmen",
        "Javier",
        "Elena",
        "Álvaro",
        "Marta",
        "Sergio",
        "Irene",
        "Iñigo",
        "Paula",
        "Diego",
        "Nerea",
        "Andrés",
    ],
    last: &[
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Martínez",
        "Sánchez",
        "Pérez",
        "Gómez",
        "Martín",
        "Jiménez",
        "Ruiz",
        "Díaz",
        "Moreno",
        "Muñoz",
        "Álvarez",
        "Romero",
        "Navarro",
    ],
    local_words: &[
        ("Health", "Salud"),
        ("Finance", "Finanzas"),
        ("Security", "Seguridad"),
        ("Energy", "Energía"),
        ("Logistics", "Logística"),
        ("Insurance", "Seguros"),
        ("Systems", "Sistemas"),
    ],
    umlauts_spelled_out: false,
};

static IT_NAMES: NamePack = NamePack {
    first: &[
        "Francesco",
        "Giulia",
        "Alessandro",
        "Chiara",
        "Lorenzo",
        "Sofia",
        "Matteo",
        "Martina",
        "Davide",
        "Federica",
        "Luca",
        "Elisa",
        "Niccolò",
        "Beatrice",
        "Tommaso",
        "Ilaria",
    ],
    last: &[
        "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti",
        "De Luca", "Costa", "Fontana",
    ],
    local_words: &[
        ("Health", "Salute"),
        ("Finance", "Finanza"),
        ("Security", "Sicurezza"),
        ("Energy", "Energia"),
        ("Logistics", "Logistica"),
        ("Insurance", "Assicurazioni"),
        ("Systems", "Sistemi"),
    ],
    umlauts_spelled_out: false,
};

static NL_NAMES: NamePack = NamePack {
    first: &["Daan", "Emma", "Sem", "Julia", "Lucas", "Sanne", "Bram", "Fleur", "Thijs", "Lotte", "Jeroen", "Femke", "Ruben", "Anouk"],
    last: &[
        "de Jong",
        "Jansen",
        "de Vries",
        "van den Berg",
        "van Dijk",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
        "Bos",
        "Vos",
        "Peters",
    ],
    local_words: &[
        ("Health", "Zorg"),
        ("Energy", "Energie"),
        ("Logistics", "Logistiek"),
        ("Insurance", "Verzekeringen"),
        ("Systems", "Systemen"),
    ],
    umlauts_spelled_out: false,
};

static SE_NAMES: NamePack = NamePack {
    first: &[
        "Erik", "Astrid", "Oskar", "Elsa", "Lars", "Ingrid", "Johan", "Maja", "Anders", "Linnéa", "Björn", "Sofia", "Henrik", "Ebba",
        "Magnus", "Freja",
    ],
    last: &[
        "Andersson",
        "Johansson",
        "Karlsson",
        "Nilsson",
        "Eriksson",
        "Larsson",
        "Olsson",
        "Persson",
        "Lindqvist",
        "Bergström",
        "Lindgren",
        "Öberg",
        "Holm",
        "Sjöberg",
        "Dahl",
        "Lund",
    ],
    local_words: &[
        ("Finance", "Finans"),
        ("Health", "Hälsa"),
        ("Energy", "Energi"),
        ("Logistics", "Logistik"),
        ("Insurance", "Försäkring"),
        ("Systems", "System"),
    ],
    umlauts_spelled_out: false,
};

static CA_NAMES: NamePack = NamePack {
    first: &[
        "Liam", "Olivia", "Noah", "Émilie", "Mathieu", "Chloé", "Ethan", "Sophie", "Gabriel", "Maya", "Owen", "Léa", "Samuel", "Avery",
    ],
    last: &[
        "Tremblay",
        "Gagnon",
        "Roy",
        "Côté",
        "Smith",
        "Brown",
        "Wong",
        "Martin",
        "Campbell",
        "MacDonald",
        "Singh",
        "Lavoie",
        "Bouchard",
        "Fraser",
    ],
    local_words: &[],
    umlauts_spelled_out: false,
};

static AU_NAMES: NamePack = NamePack {
    first: &[
        "Jack",
        "Charlotte",
        "Noah",
        "Mia",
        "William",
        "Ruby",
        "Lachlan",
        "Matilda",
        "Oliver",
        "Chloe",
        "Cooper",
        "Isla",
        "Harrison",
        "Zoe",
    ],
    last: &[
        "Smith", "Nguyen", "Williams", "Kelly", "Ryan", "Mitchell", "Jones", "Taylor", "Walsh", "Murray", "Thompson", "White", "Chen",
        "Russo",
    ],
    local_words: &[],
    umlauts_spelled_out: false,
};

static IN_NAMES: NamePack = NamePack {
    first: &[
        "Aarav",
        "Priya",
        "Rohan",
        "Ananya",
        "Vikram",
        "Sneha",
        "Arjun",
        "Kavya",
        "Rahul",
        "Neha",
        "Aditya",
        "Isha",
        "Karthik",
        "Divya",
        "Siddharth",
        "Pooja",
    ],
    last: &[
        "Sharma",
        "Patel",
        "Iyer",
        "Reddy",
        "Gupta",
        "Nair",
        "Singh",
        "Mehta",
        "Rao",
        "Kapoor",
        "Menon",
        "Joshi",
        "Banerjee",
        "Chatterjee",
        "Desai",
        "Kulkarni",
    ],
    local_words: &[],
    umlauts_spelled_out: false,
};

static BR_NAMES: NamePack = NamePack {
    first: &[
        "João",
        "Ana",
        "Pedro",
        "Mariana",
        "Lucas",
        "Beatriz",
        "Gabriel",
        "Larissa",
        "Rafael",
        "Camila",
        "Thiago",
        "Júlia",
        "Gustavo",
        "Letícia",
        "Vinícius",
        "Fernanda",
    ],
    last: &[
        "Silva",
        "Santos",
        "Oliveira",
        "Souza",
        "Pereira",
        "Costa",
        "Rodrigues",
        "Almeida",
        "Nascimento",
        "Lima",
        "Araújo",
        "Fernandes",
        "Gonçalves",
        "Ribeiro",
        "Carvalho",
        "Barbosa",
    ],
    local_words: &[
        ("Health", "Saúde"),
        ("Finance", "Finanças"),
        ("Security", "Segurança"),
        ("Energy", "Energia"),
        ("Logistics", "Logística"),
        ("Insurance", "Seguros"),
        ("Systems", "Sistemas"),
    ],
    umlauts_spelled_out: false,
};

static JP_NAMES: NamePack = NamePack {
    first: &["Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi", "Sakura", "Kenji", "Yuki", "Daiki", "Mei", "Shota", "Ayaka"],
    last: &[
        "Sato",
        "Suzuki",
        "Takahashi",
        "Tanaka",
        "Watanabe",
        "Ito",
        "Yamamoto",
        "Nakamura",
        "Kobayashi",
        "Kato",
        "Yoshida",
        "Yamada",
        "Sasaki",
        "Matsumoto",
    ],
    local_words: &[],
    umlauts_spelled_out: false,
};

static INTERNATIONAL: NamePack = NamePack {
    first: &[
        "Alex", "Sam", "Maria", "David", "Anna", "Daniel", "Sara", "Adam", "Nina", "Leo", "Mina", "Omar", "Elena", "Tomas", "Yara", "Ivan",
    ],
    last: &[
        "Novak", "Horvat", "Kowalski", "Petrov", "Rahman", "Haddad", "Tan", "Kim", "Levi", "Cohen", "Ozturk", "Popescu", "Nowak", "Demir",
        "Mensah", "Okafor",
    ],
    local_words: &[],
    umlauts_spelled_out: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every city the planner's vocabulary can put in a plan.
    const PLANNER_CITIES: &[&str] = &[
        "Berlin",
        "Munich",
        "Hamburg",
        "Frankfurt",
        "Cologne",
        "Stuttgart",
        "Dusseldorf",
        "Leipzig",
        "Paris",
        "Lyon",
        "Marseille",
        "Toulouse",
        "Bordeaux",
        "Lille",
        "Nantes",
        "London",
        "Manchester",
        "Edinburgh",
        "Bristol",
        "Dublin",
        "Amsterdam",
        "Rotterdam",
        "Brussels",
        "Zurich",
        "Geneva",
        "Basel",
        "Vienna",
        "Madrid",
        "Barcelona",
        "Lisbon",
        "Milan",
        "Rome",
        "Stockholm",
        "Copenhagen",
        "Oslo",
        "Helsinki",
        "Warsaw",
        "Prague",
        "Tallinn",
        "Budapest",
        "New York",
        "San Francisco",
        "Boston",
        "Austin",
        "Seattle",
        "Los Angeles",
        "Chicago",
        "Denver",
        "Miami",
        "Atlanta",
        "Toronto",
        "Montreal",
        "Vancouver",
        "Tel Aviv",
        "Bangalore",
        "Sydney",
        "Melbourne",
        "Sao Paulo",
        "Mexico City",
        "Tokyo",
        "Dubai",
    ];

    #[test]
    fn every_planner_city_has_its_country() {
        for city in PLANNER_CITIES {
            assert!(country_of_city(city).is_some(), "{city}");
        }
        assert_eq!(country_of_city("lyon").map(|c| c.code), Some("FR"));
    }

    #[test]
    fn profiles_are_complete_and_unique() {
        for (at, c) in COUNTRIES.iter().enumerate() {
            assert!(COUNTRIES[..at].iter().all(|other| other.code != c.code), "{} twice", c.code);
            assert!(!c.cities.is_empty() && !c.dial.is_empty() && !c.tld.is_empty(), "{}", c.code);
            assert!(c.names.first.len() >= 10 && c.names.last.len() >= 10, "{}", c.code);
            for prefix in c.phone_prefixes {
                assert!(prefix.len() < c.phone_digits && prefix.bytes().all(|b| b.is_ascii_digit()), "{}", c.code);
            }
            // E.164 allows at most 15 digits.
            assert!(c.dial.len() + c.phone_digits <= 15, "{}", c.code);
        }
        assert_eq!(country("fr").code, "FR");
        assert_eq!(country("ZZ").dial, "");
    }
}
