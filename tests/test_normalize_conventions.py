"""Clerk conventions across scripts: hand-written pairs of records of one person.

Each pair is how two clerks (two agencies, two documents) would write the SAME person: native
script vs passport Latin, other transliteration tables (Wade-Giles, McCune-Reischauer, German
and French Cyrillic), articles and particles attached or apart, given names joined or split,
surname first, honorifics, diacritics dropped. None of them comes from ppmatch's own name
tables or from ``ppmatch synth``. A pair passes when the two records share the name part of
at least one strong match-key rule (weight >= 3 in the default linkage schema: the sorted
variant-group keys, the sorted phonetic keys, surname + first given name, surname phonetic +
given-name group), which with an equal date of birth makes the rule fire. Pairs of DIFFERENT
people must share none of them.

Known gaps are marked ``xfail(strict=True)`` with the reason, so the file records exactly
what passes; docs/notes/issue-2-normalize.md has the counts per convention.
"""

from __future__ import annotations

from itertools import islice, product

import pytest

from ppmatch.encoding import LinkageSchema
from ppmatch.normalize import NormalizedRecord, normalize_name, normalize_record, phonetic_code
from ppmatch.normalize.chinese import chinese_name_key, korean_name_key
from ppmatch.normalize.conventions import surname_key
from ppmatch.normalize.translit import word_readings
from ppmatch.tokens.components import component_values

SCHEMA = LinkageSchema.default()
NAME_COMPONENTS = frozenset(
    {
        "surname",
        "surname_token",
        "surname_phonetic",
        "given_first",
        "given_group",
        "given_phonetic",
        "name_tokens_sorted",
        "name_groups_sorted",
        "name_token_group",
        "first_names_pair",
        "name_phonetic_sorted",
    }
)
STRONG_NAME_RULES = [
    rule for rule in SCHEMA.rules if rule.weight >= 3 and NAME_COMPONENTS & set(rule.components)
]

# (convention, record A "given|surname[|nationality]", record B) for ONE person.
SAME_PERSON = [
    # written before any change to normalize (the changes were tuned on these)
    ("arabic", "محمد|عبد الله", "Mohammed|Abdullah"),
    ("arabic", "Muhammad|Al-Hassan", "Mohamed|Elhassan"),
    ("arabic", "Mohamad|Al Hassan", "Muhammad|AL-HASAN"),
    ("arabic", "Abdel Rahman|Mansour", "Abdulrahman|Mansur"),
    ("arabic", "Abd al-Rahman|Mansour", "Abd-el-Rahman|Mansour"),
    ("arabic", "Abdelrahman|Mansour", "Abd Al Rahman|Mansour"),
    ("arabic", "Hussein|Ali", "Husain|Ali"),
    ("arabic", "Hussain|Ali", "Hussein|Aly"),
    ("arabic", "Youssef|Ben Ali", "Yusuf|bin Ali"),
    ("arabic", "Yousef|Ibn Ali", "Youssef|Ben Ali"),
    ("arabic", "أحمد|السيد", "Ahmed|El Sayed"),
    ("arabic", "Ahmed|El-Sayed", "Ahmad|Al Sayed"),
    ("arabic", "Abdallah|Nasser", "Abdullah|Nasser"),
    ("arabic", "خالد|الزهراني", "Khalid|Al-Zahrani"),
    ("arabic", "Khaled|Alzahrani", "Khalid|Al Zahrani"),
    ("arabic", "Omar|Farouk", "Umar|Faruq"),
    ("arabic", "Fatima|El Zahraa", "Fatma|Al-Zahra"),
    ("arabic", "Mustafa|Kamal", "Moustapha|Kamal"),
    ("arabic", "Tariq|Aziz", "Tarek|Aziz"),
    ("arabic", "Abd al-Aziz|Rahman", "Abdelaziz|Rahman"),
    ("arabic", "Abdul Aziz|Rahman", "Abdulaziz|Rahman"),
    ("arabic", "Ibrahim|Mahmoud", "Ebrahim|Mahmood"),
    ("arabic", "Abu Bakr|Sidiqi", "Abubakr|Sidiqi"),
    ("arabic", "Leila|Haddad", "Layla|Haddad"),
    ("arabic", "يوسف|حداد", "Youssef|Haddad"),
    ("arabic", "عبد الرحمن|منصور", "Abdulrahman|Mansour"),
    ("arabic", "Ali Hassan|Al-Amin", "Ali Hasan|Alamin"),
    ("arabic", "Rashid|Al-Qahtani", "Rachid|Alqahtani"),
    ("arabic", "Abdel Fattah|Mostafa", "Abdelfattah|Mustafa"),
    ("arabic", "Osama|Bin Salem", "Usama|Bin Salem"),
    ("arabic", "Saeed|Al Ghamdi", "Said|Alghamdi"),
    ("arabic", "Mohammed|Al-Shehri", "Mohamed|El Shehri"),
    ("arabic", "Jamal|Abdel Nasser", "Gamal|Abdelnasser"),
    ("arabic", "Hamza|Yassin", "Hamzah|Yasin"),
    ("arabic", "قصي|الحسيني", "Qusay|Al-Husseini"),
    ("arabic", "Nour|El-Din", "Nour|Eldin"),
    ("arabic", "Sheikh Mohammed|Al Maktoum", "Mohammed|Al-Maktoum"),
    ("arabic", "Mohd|Ismail", "Mohammed|Ismail"),
    ("arabic", "Abdulla|Al Mansouri", "Abdullah|Almansoori"),
    ("arabic", "Tawfiq|Hamdan", "Toufik|Hamdan"),
    ("persian", "حسین|رضایی", "Hossein|Rezaei"),
    ("persian", "Hossein|Rezaei", "Hosein|Rezaee"),
    ("persian", "Mohammad Reza|Hosseini", "Mohammadreza|Hosseini"),
    ("persian", "Seyed Ali|Mousavi", "Sayed Ali|Musavi"),
    ("persian", "Zahra|Ahmadi", "Zahra|Ahmady"),
    ("persian", "Gholamreza|Karimi", "Gholam Reza|Karimi"),
    ("persian", "Mehdi|Jafari", "Mahdi|Jafari"),
    ("persian", "Ali|Hosseinzadeh", "Ali|Hosseinzade"),
    ("persian", "Fatemeh|Mohammadi", "Fatima|Mohammadi"),
    ("persian", "مهدی|کریمی", "Mehdi|Karimi"),
    ("chinese", "伟|张", "Wei|Zhang"),
    ("chinese", "Wei|Zhang", "Wei|Chang"),
    ("chinese", "Ming|Xu", "Ming|Hsu"),
    ("chinese", "Jie|Zhou", "Jie|Chou"),
    ("chinese", "Xiaoming|Chen", "Xiao Ming|Chen"),
    ("chinese", "Xiao-Ming|Chen", "Xiaoming|Chen"),
    ("chinese", "Xiaoming|Wang", "Wang|Xiaoming"),
    ("chinese", "王小明|", "Xiaoming|Wang"),
    ("chinese", "小明|王", "Xiao Ming|WANG"),
    ("chinese", "Li Hua|Zhang", "Lihua|ZHANG"),
    ("chinese", "Xiaoming|Chen", "Hsiao-Ming|Chen"),
    ("chinese", "Jianguo|Zhang", "Chien-Kuo|Chang"),
    ("chinese", "Zhiqiang|Zhou", "Chih-Chiang|Chou"),
    ("chinese", "Mei Ling|Chen", "Meiling|Chan"),
    ("chinese", "Wei|Huang", "Wei|Hwang"),
    ("chinese", "Jun|Xu", "Jun|Hsu"),
    ("chinese", "Ah Kow|Tan", "Ah-Kow|Tan"),
    ("chinese", "Yu Ting|Lin", "Yu-Ting|Lin"),
    ("chinese", "Hui Min|Lim", "Huimin|Lim"),
    ("chinese", "张伟|", "Zhang|Wei"),
    ("chinese", "陈美玲|", "Meiling|Chen"),
    ("chinese", "Jing|Zhao", "Ching|Chao"),
    ("chinese", "Qiang|Liu", "Chiang|Liu"),
    ("chinese", "Xin|Wu", "Hsin|Wu"),
    ("chinese", "Yang|Li", "Yang|Lee"),
    ("korean", "Min-jun|Kim", "Minjun|Kim"),
    ("korean", "Min Jun|Kim", "Min-Jun|Gim"),
    ("korean", "Seo-yeon|Lee", "Seoyeon|Yi"),
    ("korean", "Ji-hoon|Park", "Jihoon|Pak"),
    ("korean", "Ji Hoon|Park", "Ji-Hoon|Bak"),
    ("korean", "Soo-jin|Choi", "Soojin|Choe"),
    ("korean", "Seung-hoon|Lee", "Seunghoon|Rhee"),
    ("korean", "김민준|", "Min-jun|Kim"),
    ("korean", "민준|김", "Minjun|Kim"),
    ("korean", "서연|이", "Seo Yeon|Lee"),
    ("korean", "Hye-jin|Jung", "Hyejin|Jeong"),
    ("korean", "Dong-hyun|Kang", "Donghyun|Kang"),
    ("korean", "Young-soo|Yoon", "Youngsoo|Yun"),
    ("korean", "Eun-ji|Shin", "Eunji|Sin"),
    ("korean", "Sung-min|Cho", "Seongmin|Jo"),
    ("japanese", "しょう|にしだ", "Sho|Nishida"),
    ("japanese", "Shou|Nishida", "Sho|Nishida"),
    ("japanese", "Shoo|Nishida", "Shou|Nishida"),
    ("japanese", "Taro|Ohno", "Taro|Ono"),
    ("japanese", "Taro|Oono", "Taro|Ohno"),
    ("japanese", "ユウキ|サトウ", "Yuki|Sato"),
    ("japanese", "Yuuki|Satou", "Yuki|Sato"),
    ("japanese", "Kouji|Itou", "Koji|Ito"),
    ("japanese", "Kohji|Itoh", "Koji|Ito"),
    ("japanese", "Shinichi|Yamamoto", "Shin'ichi|Yamamoto"),
    ("japanese", "じゅんいち|たかはし", "Junichi|Takahashi"),
    ("japanese", "Ryouta|Saitou", "Ryota|Saito"),
    ("japanese", "Kenta|Yamada", "Yamada|Kenta"),
    ("japanese", "Jun'ya|Honda", "Junya|Honda"),
    ("vietnamese", "Nguyễn Văn|An", "Nguyen Van|An"),
    ("vietnamese", "Văn An|Nguyễn", "Van An|Nguyen"),
    ("vietnamese", "Thị Hương|Trần", "Thi Huong|Tran"),
    ("vietnamese", "Huong|Tran", "Thi Huong|Tran"),
    ("vietnamese", "Đức Minh|Phạm", "Duc Minh|Pham"),
    ("vietnamese", "Minh|Lê", "Minh|Le"),
    ("vietnamese", "Anh Tuấn|Hoàng", "Anh Tuan|Hoang"),
    ("vietnamese", "Hoang Anh Tuan|", "Anh Tuan|Hoang"),
    ("vietnamese", "Ngọc Lan|Võ", "Ngoc Lan|Vo"),
    ("vietnamese", "Quốc Bảo|Đặng", "Quoc Bao|Dang"),
    ("cyrillic", "Евгений|Смирнов", "Evgenii|Smirnov"),
    ("cyrillic", "Yevgeny|Smirnov", "Evgeniy|Smirnov"),
    ("cyrillic", "Jewgeni|Smirnow", "Evgeny|Smirnov"),
    ("cyrillic", "Александр|Кузнецов", "Aleksandr|Kuznetsov"),
    ("cyrillic", "Alexander|Kuznetsov", "Aleksandr|Kouznetsov"),
    ("cyrillic", "Олександр|Шевченко|UKR", "Oleksandr|Shevchenko|UKR"),
    ("cyrillic", "Oleksandr|Shevchenko", "Aleksandr|Shevchenko"),
    ("cyrillic", "Дмитрий Сергеевич|Иванов", "Dmitry|Ivanov"),
    ("cyrillic", "Dmitriy|Ivanov", "Dmitri|Iwanow"),
    ("cyrillic", "Юлия|Тимошенко", "Yulia|Tymoshenko"),
    ("cyrillic", "Yulia|Timoshenko", "Iuliia|Tymoshenko"),
    ("cyrillic", "Сергей|Павлов", "Sergey|Pavlov"),
    ("cyrillic", "Sergei|Pavlov", "Serguei|Pavlov"),
    ("cyrillic", "Наталья|Козлова", "Natalia|Kozlova"),
    ("cyrillic", "Natalya|Kozlova", "Natalija|Kozlova"),
    ("cyrillic", "Андрій|Коваленко|UKR", "Andriy|Kovalenko"),
    ("cyrillic", "Андрей|Коваленко", "Andrei|Kovalenko"),
    ("cyrillic", "Юрий|Гагарин", "Yuri|Gagarin"),
    ("cyrillic", "Iouri|Gagarine", "Yuri|Gagarin"),
    ("cyrillic", "Fjodor|Dostojewski", "Fyodor|Dostoyevsky"),
    ("cyrillic", "Nikolai|Tchaikovsky", "Nikolay|Chaikovskiy"),
    ("cyrillic", "Алексей|Хрущёв", "Aleksei|Khrushchev"),
    ("cyrillic", "Alexej|Chruschtschow", "Aleksei|Khrushchev"),
    ("cyrillic", "Ксения|Щербакова", "Ksenia|Shcherbakova"),
    ("cyrillic", "Xenia|Chtcherbakova", "Kseniya|Shcherbakova"),
    ("cyrillic", "Vladimir Vladimirovich|Zhukov", "Vladimir|Joukov"),
    ("cyrillic", "Volodymyr|Zelensky", "Volodymyr|Zelenskyy"),
    ("cyrillic", "Владимир|Жуков", "Wladimir|Schukow"),
    ("cyrillic", "Екатерина|Иванова", "Ekaterina|Ivanova"),
    ("cyrillic", "Yekaterina|Ivanova", "Jekaterina|Iwanowa"),
    ("iberian", "José Luis|García López", "Jose Luis|Garcia Lopez"),
    ("iberian", "José Luis|García López", "Jose Luis|Garcia"),
    ("iberian", "Jose Luis|Garcia-Lopez", "Jose Luis|Garcia y Lopez"),
    ("iberian", "María del Carmen|Fernández de la Cruz", "Maria del Carmen|Fernandez De La Cruz"),
    ("iberian", "Ma. del Carmen|Fernandez", "Maria del Carmen|Fernandez"),
    ("iberian", "Juan|de la Cruz", "Juan|Delacruz"),
    ("iberian", "Juan|De La Cruz", "Juan|De-la-Cruz"),
    ("iberian", "João|dos Santos", "Joao|Santos"),
    ("iberian", "João Pedro|dos Santos Silva", "Joao Pedro|Dos Santos Silva"),
    ("iberian", "Antônio|Conceição", "Antonio|Conceicao"),
    ("iberian", "Francisco Javier|Núñez", "Fco. Javier|Nunez"),
    ("iberian", "Ana María|del Río", "Ana Maria|Del Rio"),
    ("iberian", "Maria|da Silva", "Maria|Silva"),
    ("iberian", "Jesús|Ibáñez Muñoz", "Jesus|Ibanez Munoz"),
    ("germanic", "Jan|van der Berg", "Jan|Van Der Berg"),
    ("germanic", "Jan|van der Berg", "Jan|Vandenberg"),
    ("germanic", "Pieter|van der Meer", "Pieter|Vandermeer"),
    ("germanic", "Jürgen|Müller", "Juergen|Mueller"),
    ("germanic", "Jürgen|Müller", "Jurgen|Muller"),
    ("germanic", "Juergen|Mueller", "Jurgen|Muller"),
    ("germanic", "Björn|Sørensen", "Bjoern|Soerensen"),
    ("germanic", "Bjorn|Sorensen", "Björn|Sørensen"),
    ("germanic", "Günther|Schröder", "Guenther|Schroeder"),
    ("germanic", "Hans-Peter|Weiß", "Hans Peter|Weiss"),
    ("germanic", "Ludwig|von Beethoven", "Ludwig|Beethoven"),
    ("germanic", "Karl|Schmidt", "Carl|Schmidt"),
    ("germanic", "Åsa|Ångström", "Asa|Angstrom"),
    ("turkish", "İsmail|Yılmaz", "Ismail|Yilmaz"),
    ("turkish", "Ismail|YILMAZ", "ISMAİL|YİLMAZ"),
    ("turkish", "Şükrü|Öztürk", "Sukru|Ozturk"),
    ("turkish", "Çağlar|Güneş", "Caglar|Gunes"),
    ("turkish", "Mehmet|Özdemir", "Mehmet|Oezdemir"),
    ("turkish", "Hüseyin|Çelik", "Huseyin|Celik"),
    ("polish", "Łukasz|Wójcik", "Lukasz|Wojcik"),
    ("polish", "Małgorzata|Dąbrowska", "Malgorzata|Dabrowska"),
    ("polish", "Grzegorz|Brzęczyszczykiewicz", "Grzegorz|Brzeczyszczykiewicz"),
    ("czech", "Jiří|Dvořák", "Jiri|Dvorak"),
    ("czech", "Tomáš|Novák", "Tomas|Novak"),
    ("czech", "Zdeněk|Procházka", "Zdenek|Prochazka"),
    ("balkan", "Đorđe|Petrović", "Djordje|Petrovic"),
    ("balkan", "Ђорђе|Петровић", "Dorde|Petrovic"),
    ("balkan", "Miloš|Jovanović", "Milos|Jovanovic"),
    ("hungarian", "György|Szőke", "Gyorgy|Szoke"),
    ("romanian", "Ștefan|Popescu", "Stefan|Popescu"),
    ("greek", "Γεώργιος|Παπαδόπουλος", "Georgios|Papadopoulos"),
    ("greek", "Giorgos|Papadopoulos", "Georgios|Papadopoulos"),
    ("greek", "Ιωάννης|Νικολάου", "Ioannis|Nikolaou"),
    ("greek", "Yiannis|Nikolaou", "Ioannis|Nikolaou"),
    ("greek", "Κωνσταντίνος|Χατζής", "Konstantinos|Chatzis"),
    ("greek", "Konstantinos|Hatzis", "Konstantinos|Chatzis"),
    ("greek", "Ευάγγελος|Μπακογιάννης", "Evangelos|Bakogiannis"),
    ("anglo", "Sean|O'Brien", "Sean|OBrien"),
    ("anglo", "Seán|O'Brien", "SEAN|O BRIEN"),
    ("anglo", "Patrick|O’Neill", "Patrick|O'Neill"),
    ("anglo", "Patrick|O Neill", "Patrick|ONeill"),
    ("anglo", "Angus|MacDonald", "Angus|Mac Donald"),
    ("anglo", "Angus|McDonald", "Angus|Mc Donald"),
    ("anglo", "Dr. John|Smith", "John|Smith"),
    ("anglo", "Mr John|Smith", "John|SMITH"),
    ("anglo", "John  Robert|Smith", "John Robert|Smith"),
    ("anglo", "  john robert |  smith ", "JOHN ROBERT|SMITH"),
    ("anglo", "Robert|Smith Jr.", "Robert|Smith"),
    ("anglo", "William|Jones", "Bill|Jones"),
    ("anglo", "Mary-Jane|Watson", "Mary Jane|Watson"),
    ("anglo", "Anne-Marie|Dupont", "Anne Marie|Dupont"),
    ("french", "François|Lefèvre", "Francois|Lefevre"),
    ("french", "Jean-Pierre|D'Angelo", "Jean Pierre|DANGELO"),
    ("french", "Hélène|L'Hermite", "Helene|Lhermite"),
    ("italian", "Giuseppe|D'Alessandro", "Giuseppe|Dalessandro"),
    ("italian", "Giuseppe|Dell'Acqua", "Giuseppe|Dellacqua"),
    ("italian", "Luca|De Luca", "Luca|DeLuca"),
    ("indian", "Mohd.|Rafiq", "Mohammed|Rafiq"),
    ("indian", "Venkata Subramanian|Iyer", "Venkatasubramanian|Iyer"),
    ("african", "Oluwaseun|Adébáyọ̀", "Oluwaseun|Adebayo"),
    # written after the first round of changes (the second round was tuned on these)
    ("arabic", "Abd El Kader|Benali", "Abdelkader|Ben Ali"),
    ("arabic", "Mohamed Amine|Bouazizi", "Mohammed Amin|Bouazizi"),
    ("arabic", "Fatima Zahra|El Idrissi", "Fatimazahra|Idrissi"),
    ("arabic", "Abderrahmane|Belkacem", "Abdul Rahman|Belkacem"),
    ("arabic", "Salah Eddine|Ouali", "Salaheddine|Ouali"),
    ("arabic", "Nasreddine|Haddad", "Nasr El Din|Haddad"),
    ("arabic", "سارة|العتيبي", "Sara|Al-Otaibi"),
    ("arabic", "Mohammed|Bin Rashid Al Maktoum", "Mohammed|Al Maktoum"),
    ("arabic", "Ahmed|Abu Zeid", "Ahmed|Abuzeid"),
    ("arabic", "Hussein|Abdel-Hamid", "Hussein|Abdulhamid"),
    ("arabic", "Youssouf|Diallo", "Yusuf|Diallo"),
    ("arabic", "Oussama|Benali", "Usama|Ben Ali"),
    ("persian", "Ali Reza|Tehrani", "Alireza|Tehrani"),
    ("persian", "Seyyed Mohammad|Khatami", "Sayyid Mohammad|Khatami"),
    ("persian", "Mojtaba|Hosseini", "Mojtaba|Husseini"),
    ("persian", "Amir Hossein|Karimi", "Amirhossein|Karimi"),
    ("chinese", "Ing-Wen|Tsai", "Yingwen|Cai"),
    ("chinese", "Ying-jeou|Ma", "Yingjiu|Ma"),
    ("chinese", "Hsiao-Ping|Teng", "Xiaoping|Deng"),
    ("chinese", "Tse-Tung|Mao", "Zedong|Mao"),
    ("chinese", "Shui-Bian|Chen", "Shuibian|Chen"),
    ("chinese", "Kuan Yew|Lee", "Kuan-Yew|Lee"),
    ("chinese", "Fang|Wang", "Wang|Fang"),
    ("chinese", "赵磊|", "Lei|Zhao"),
    ("chinese", "Xiaoli|Huang", "Hsiao-Li|Huang"),
    ("chinese", "Xun|Zhou", "Hsun|Chou"),
    ("chinese", "Jinglei|Xu", "Ching-Lei|Hsu"),
    ("korean", "Jae-In|Moon", "Jaein|Mun"),
    ("korean", "Ki-Moon|Ban", "Kimoon|Ban"),
    ("korean", "Myung-Bak|Lee", "Myeongbak|Yi"),
    ("korean", "Yu-na|Kim", "Yuna|Kim"),
    ("korean", "Heung-min|Son", "Heungmin|Sohn"),
    ("korean", "Ho-seok|Jung", "Hoseok|Jeong"),
    ("korean", "박지성|", "Ji-sung|Park"),
    ("japanese", "ゆうこ|たなか", "Yuko|Tanaka"),
    ("japanese", "ヒロシ|イトウ", "Hiroshi|Ito"),
    ("japanese", "Ryūichi|Sakamoto", "Ryuichi|Sakamoto"),
    ("japanese", "Shōhei|Ōtani", "Shohei|Ohtani"),
    ("japanese", "Kyoko|Oota", "Kyoko|Ota"),
    ("japanese", "Jun'ichirō|Koizumi", "Junichiro|Koizumi"),
    ("japanese", "Shinzo|Abe", "Abe|Shinzo"),
    ("japanese", "Yuuto|Hayashi", "Yuto|Hayashi"),
    ("vietnamese", "Thị Minh Khai|Nguyễn", "Minh Khai|Nguyen"),
    ("vietnamese", "Quốc Tuấn|Trần", "Quoc Tuan|Tran"),
    ("vietnamese", "Pham Van Dong|", "Van Dong|Pham"),
    ("vietnamese", "Thị Thu Hà|Lê", "Thi Thu Ha|Le"),
    ("cyrillic", "Михаил|Горбачёв", "Mikhail|Gorbachev"),
    ("cyrillic", "Michail|Gorbatschow", "Mikhail|Gorbachev"),
    ("cyrillic", "Pyotr|Tchaikovsky", "Petr|Chaykovskiy"),
    ("cyrillic", "Олена|Зеленська|UKR", "Olena|Zelenska"),
    ("cyrillic", "Elena|Zelenskaya", "Olena|Zelenska"),
    ("cyrillic", "Ilya|Ilyin", "Ilia|Iline"),
    ("cyrillic", "Grigory|Rasputin", "Grigorij|Rasputin"),
    ("cyrillic", "Анна|Каренина", "Anna|Karenina"),
    ("cyrillic", "Sergiy|Bubka", "Serhiy|Bubka"),
    ("cyrillic", "Vitali|Klitschko", "Vitaliy|Klychko"),
    ("cyrillic", "Maria|Sharapova", "Mariya|Sharapova"),
    ("cyrillic", "Aleksandr|Solzhenitsyn", "Alexandre|Soljenitsyne"),
    ("iberian", "María José|Rodríguez Fernández", "Maria Jose|Rodriguez-Fernandez"),
    ("iberian", "Juan Carlos|de Borbón y Borbón", "Juan Carlos|Borbon"),
    ("iberian", "José|dos Santos Pereira", "Jose|Santos Pereira"),
    ("iberian", "Gonçalo|Magalhães", "Goncalo|Magalhaes"),
    ("iberian", "Pedro|Sánchez Pérez-Castejón", "Pedro|Sanchez Perez Castejon"),
    ("iberian", "Ma. Guadalupe|Hernández", "María Guadalupe|Hernandez"),
    ("germanic", "Vincent|van Gogh", "Vincent|Van-Gogh"),
    ("germanic", "Johannes|ter Horst", "Johannes|Terhorst"),
    ("germanic", "Ursula|von der Leyen", "Ursula|Vonderleyen"),
    ("germanic", "Sören|Kierkegaard", "Soeren|Kierkegaard"),
    ("germanic", "Klaus|Müller-Lüdenscheidt", "Klaus|Mueller Luedenscheidt"),
    ("germanic", "Petra|Großmann", "Petra|Grossmann"),
    ("turkish", "Recep Tayyip|Erdoğan", "Recep Tayyip|Erdogan"),
    ("turkish", "Gülşen|Çağlayan", "Guelsen|Caglayan"),
    ("turkish", "İlkay|Gündoğan", "Ilkay|Guendogan"),
    ("polish", "Wojciech|Szczęsny", "Wojciech|Szczesny"),
    ("polish", "Sławomir|Mrożek", "Slawomir|Mrozek"),
    ("greek", "Αλέξης|Τσίπρας", "Alexis|Tsipras"),
    ("greek", "Σωκράτης|Παπασταθόπουλος", "Sokratis|Papastathopoulos"),
    ("greek", "Evangelos|Venizelos", "Vangelis|Venizelos"),
    ("anglo", "Siobhán|Ní Bhriain", "Siobhan|Ni Bhriain"),
    ("anglo", "Mary|McAleese", "Mary|Mc Aleese"),
    ("anglo", "Ronan|O'Gara", "Ronan|Ogara"),
    ("anglo", "Prof. Dr. Hans|Schmidt", "Hans|Schmidt"),
    ("anglo", "Mrs. Jane|Doe-Smith", "Jane|Doe Smith"),
    ("anglo", "J. Robert|Oppenheimer", "J Robert|Oppenheimer"),
    ("arabic", "Sheikha Mozah|bint Nasser", "Mozah|Bint Nasser"),
    ("indian", "Shah Rukh|Khan", "Shahrukh|Khan"),
    ("indian", "Lakshmi|Narayanan", "Laxmi|Narayanan"),
    ("african", "Chimamanda Ngozi|Adichie", "Chimamanda|Adichie"),
    ("african", "Ngũgĩ|wa Thiong'o", "Ngugi|Wa Thiongo"),
    # written last, after the other changes; measured untuned (48 of 58 passed), then the
    # Slavic Ё/Ц/З, -NY and Korean WOO folds were added for failures seen here
    ("arabic", "Abdelhamid|Ben Youssef", "Abd al-Hamid|Bin Yousef"),
    ("arabic", "Mohamed Lamine|Diop", "Mohammed Al Amin|Diop"),
    ("arabic", "Aicha|Bent Salem", "Aisha|Bint Salem"),
    ("arabic", "Hassan|El Mansouri", "Hasan|Al-Mansuri"),
    ("arabic", "عمر|الفاروق", "Omar|Al Farouk"),
    ("arabic", "Khadija|Ait Ouali", "Khadidja|Ait-Ouali"),
    ("arabic", "Abdulkarim|Al Hashimi", "Abdel Karim|El-Hachemi"),
    ("arabic", "Ismail|Haniyeh", "Ismael|Haniya"),
    ("persian", "Hamid Reza|Ghorbani", "Hamidreza|Qorbani"),
    ("persian", "Mohammad Javad|Zarif", "Mohammadjavad|Zarif"),
    ("chinese", "Guoqiang|Li", "Kuo-Chiang|Lee"),
    ("chinese", "Zhiwei|Huang", "Chih-Wei|Huang"),
    ("chinese", "Yiming|Zhang", "Yi Ming|Chang"),
    ("chinese", "李国强|", "Guoqiang|Li"),
    ("chinese", "Wai Man|Cheung", "Wai-Man|Cheung"),
    ("chinese", "Ka Ho|Wong", "Kaho|Wong"),
    ("chinese", "Siew Ling|Tan", "Siew-Ling|Tan"),
    ("chinese", "Jianhua|Liu", "Chien-Hua|Liu"),
    ("korean", "Jae-yong|Lee", "Jaeyong|Yi"),
    ("korean", "Hyun-woo|Kim", "Hyunwoo|Gim"),
    ("korean", "Kyung-soo|Park", "Gyeongsu|Bak"),
    ("korean", "Sun-hee|Choi", "Sunhee|Choe"),
    ("korean", "최지우|", "Ji-woo|Choi"),
    ("japanese", "Kōsuke|Satō", "Kosuke|Sato"),
    ("japanese", "コウスケ|サトウ", "Kosuke|Sato"),
    ("japanese", "Yuusuke|Kondou", "Yusuke|Kondo"),
    ("japanese", "Ohshima|Takeshi", "Takeshi|Oshima"),
    ("vietnamese", "Nguyễn Thị|Lan", "Lan|Nguyen Thi"),
    ("vietnamese", "Văn Thành|Đỗ", "Van Thanh|Do"),
    ("vietnamese", "Thanh Hương|Bùi", "Thanh Huong|Bui"),
    ("cyrillic", "Ольга|Кузнецова", "Olga|Kuznetsova"),
    ("cyrillic", "Olga|Kusnezowa", "Olga|Kuznetsova"),
    ("cyrillic", "Дмитро|Кулеба|UKR", "Dmytro|Kuleba"),
    ("cyrillic", "Dmitri|Kouleba", "Dmytro|Kuleba"),
    ("cyrillic", "Татьяна|Соловьёва", "Tatiana|Solovyova"),
    ("cyrillic", "Tatjana|Solowjowa", "Tatyana|Solovyeva"),
    ("cyrillic", "Алексей|Навальный", "Aleksei|Navalnyi"),
    ("cyrillic", "Alexei|Nawalny", "Alexey|Navalny"),
    ("cyrillic", "Игорь|Стравинский", "Igor|Stravinsky"),
    ("cyrillic", "Boris|Jelzin", "Boris|Yeltsin"),
    ("iberian", "Ana Sofía|Gómez-Ruiz", "Ana Sofia|Gomez Ruiz"),
    ("iberian", "Luiz Inácio|da Silva", "Luiz Inacio|Silva"),
    ("iberian", "Mª Ángeles|Peña", "Maria Angeles|Pena"),
    ("germanic", "Hans-Jürgen|Köhler", "Hans Juergen|Koehler"),
    ("germanic", "Anneke|van den Broek", "Anneke|Van Den Broek"),
    ("germanic", "Dirk|de Vries", "Dirk|Devries"),
    ("nordic", "Øystein|Bjørnstad", "Oystein|Bjornstad"),
    ("nordic", "Søren|Kjær", "Soeren|Kjaer"),
    ("turkish", "Ayşe|Yıldız", "Ayse|Yildiz"),
    ("turkish", "Oğuz|Şahin", "Oguz|Sahin"),
    ("greek", "Δημήτριος|Οικονόμου", "Dimitrios|Oikonomou"),
    ("greek", "Dimitris|Ikonomou", "Dimitrios|Oikonomou"),
    ("anglo", "Mr. Padraig|O'Sullivan", "Padraig|O Sullivan"),
    ("anglo", "Katherine|McNeil-Smith", "Catherine|McNeil Smith"),
    ("anglo", "Elizabeth|Taylor", "Liz|Taylor"),
    ("indian", "Mohammed|Iqbal", "Md.|Iqbal"),
    ("indian", "Gurpreet|Singh", "Gurpreet|SINGH"),
    ("african", "Adewale|Ògúnlèyè", "Adewale|Ogunleye"),
    # written in the fifth session before the change each convention got (so measured untuned)
    ("iberian", "Gabriel|García Márquez", "Gabriel|Garcia"),
    ("iberian", "Carmen|Martínez Soto", "Carmen|MARTINEZ"),
    ("iberian", "Francisco|Hernández-Ruiz", "Francisco|Hernandez"),
    ("iberian", "Luis Alberto|Ramírez de la Torre", "Luis Alberto|Ramirez"),
    ("iberian", "Rocío|Jiménez y Ortega", "Rocio|Jimenez"),
    ("iberian", "Paulo|Ferreira Costa|BRA", "Paulo|Costa|BRA"),
    ("iberian", "Ana Paula|de Oliveira Santos|PRT", "Ana Paula|Santos|PRT"),
    ("persian", "Mohammad Hossein|Rahimi", "Mohammadhossein|Rahimi"),
    ("persian", "Mohammad Ali|Jafari", "Mohammadali|Jafari"),
    ("persian", "Amir Ali|Nazari", "Amirali|Nazari"),
    ("indian", "Ram Kumar|Sharma", "Ramkumar|Sharma"),
    ("indian", "Venkata Ramana|Reddy", "Venkataramana|Reddy"),
    ("indian", "Sai Krishna|Rao", "Saikrishna|Rao"),
    ("indian", "Shiv Shankar|Prasad", "Shivshankar|Prasad"),
    ("indian", "Raj Kumar|Singh", "Rajkumar|Singh"),
    ("arabic", "Yousef|Al Qadi", "Yousef|Alkadi"),
    ("arabic", "Mohammed|Al Noori", "Mohamed|Al-Nouri"),
    ("arabic", "Samir|Bouzid", "Samir|Bouzeed"),
    ("persian", "Reza|Ghasemi", "Reza|Qasemi"),
    ("persian", "Ali|Baqeri", "Ali|Bagheri"),
    ("persian", "Majid|Sadeghi", "Majid|Sadeqi"),
    ("greek", "Χρήστος|Χριστοδούλου", "Christos|Hristodoulou"),
    ("greek", "Nikos|Chatzidakis", "Nikos|Hatzidakis"),
    ("greek", "Ελένη|Οικονομίδου", "Eleni|Ikonomidou"),
    ("greek", "Andreas|Michailidis", "Andreas|Mihailidis"),
    ("cyrillic", "Михаил|Ходорковский", "Michail|Chodorkowski"),
    ("cyrillic", "Юрий|Андропов", "Juri|Andropow"),
    ("cyrillic", "Никита|Хрущёв", "Nikita|Chruschtschow"),
    ("cyrillic", "Мария|Жукова", "Maria|Schukowa"),
    ("nordic", "Åke|Ström", "Ake|Strom"),
    ("nordic", "Jørgen|Aabø", "Jorgen|Aabo"),
    ("nordic", "Bjørn|Dæhlie", "Bjorn|Dahlie"),
    ("nordic", "Pål|Ødegård", "Pal|Odegard"),
    ("nordic", "Mårten|Åberg", "Marten|Aberg"),
    ("germanic", "Jörg|Möller", "Joerg|Moller"),
    ("germanic", "Ursula|Schäfer", "Ursula|Schafer"),
    ("arabic", "Fatma|Bent Ahmed", "Fatma|Bint Ahmed"),
    ("arabic", "Khadija|Bent Mohamed", "Khadidja|Mohamed"),
    ("arabic", "Mariem|Mint Sidi", "Mariem|Bint Sidi"),
]

# Pairs of DIFFERENT people with one date of birth: they must not share a strong name key.
DIFFERENT_PEOPLE = [
    # written before any change to normalize (the changes were tuned on these)
    ("Ali|Hassan", "Alia|Hassan"),
    ("Jan|Novak", "Jana|Novak"),
    ("Min-jun|Kim", "Min-ji|Kim"),
    ("Minjun|Kim", "Minji|Kim"),
    ("Ivan|Petrov", "Ivana|Petrova"),
    ("Aleksandr|Ivanov", "Aleksandra|Ivanova"),
    ("Wei|Zhang", "Wei|Wang"),
    ("Xiaoming|Wang", "Xiaomei|Wang"),
    ("Mohammed|Ali", "Ahmed|Ali"),
    ("Hassan|Ali", "Hussein|Ali"),
    ("Yusuf|Haddad", "Yunus|Haddad"),
    ("Maria|Garcia", "Mario|Garcia"),
    ("Juan|Garcia Lopez", "Juan|Garcia Perez"),
    ("Jurgen|Muller", "Jorg|Muller"),
    ("Sho|Nishida", "Shota|Nishida"),
    ("Yuki|Sato", "Yuka|Sato"),
    ("Thi Huong|Tran", "Thi Hoa|Tran"),
    ("Min|Lee", "Min|Park"),
    ("Ji-hoon|Park", "Ji-hyun|Park"),
    ("Abdul Rahman|Mansour", "Abdul Rahim|Mansour"),
    ("Abdullah|Nasser", "Abdelaziz|Nasser"),
    ("Jan|van der Berg", "Jan|van den Bosch"),
    ("Karim|Said", "Karima|Said"),
    ("Nikolai|Sokolov", "Nikolai|Sokolova"),
    ("Zhang Wei|", "Zhang Hui|"),
    ("Li Na|Chen", "Li Ning|Chen"),
    ("Giorgos|Papas", "Georgia|Papas"),
    # written after the first round of changes (the second round was tuned on these)
    ("Mohammed|Haddad", "Mahmoud|Haddad"),
    ("Ming|Zhang", "Min|Zhang"),
    ("Xiaoping|Deng", "Xiaoming|Deng"),
    ("Yuko|Tanaka", "Yuki|Tanaka"),
    ("Jae-in|Moon", "Jae-won|Moon"),
    ("Tina|Li", "Dina|Li"),
    ("Sara|Otaibi", "Sami|Otaibi"),
    ("Ivan|Ilyin", "Ivan|Ilyina"),
    ("Van Anh|Nguyen", "Van Minh|Nguyen"),
    ("Amir|Karimi", "Amira|Karimi"),
    ("Lin|Wang", "Ling|Wang"),
    ("Jian|Li", "Qian|Li"),
    ("Dong|Chen", "Tong|Chen"),
    # written last, after the other changes (6 of 10 kept apart when first measured)
    ("Guoqiang|Li", "Guoliang|Li"),
    ("Hyun-woo|Kim", "Hyun-soo|Kim"),
    ("Kosuke|Sato", "Keisuke|Sato"),
    ("Olga|Kuznetsova", "Olga|Kuznetsov"),
    ("Hassan|Mansouri", "Hassan|Mansour"),
    ("Dirk|de Vries", "Dirk|Vries"),
    ("Wai Man|Cheung", "Wai Ming|Cheung"),
    ("Lan|Nguyen", "Lanh|Nguyen"),
    ("Aisha|Salem", "Aishwarya|Salem"),
    ("Zhiwei|Huang", "Zhiwen|Huang"),
    # written in the fifth session before the change each convention got
    ("Pedro|Garcia Lopez", "Pablo|Garcia Lopez"),
    ("Lucia|Martinez Soto", "Lucia|Soto"),
    ("Ramkumar|Sharma", "Ramesh|Sharma"),
    ("Sai Krishna|Rao", "Sai Kiran|Rao"),
    ("Rajkumar|Singh", "Rajesh|Singh"),
    ("Reza|Ghasemi", "Reza|Hashemi"),
    ("Omar|Nouri", "Omar|Nasri"),
    ("Nikos|Chatzis", "Nikos|Hatzakis"),
    ("Yuri|Chodorov", "Yuri|Fedorov"),
    ("Anna|Schukowa", "Anna|Suchowa"),
    ("Jan|de Boer", "Jan|de Bor"),
    ("Lars|Aas", "Lars|As"),
    ("Bent|Hansen", "Bente|Hansen"),
    ("Bent Ole|Jensen", "Ole|Jensen"),
]

_PHONETIC_DROPS_FINAL_VOWEL = (
    "components' name_phonetic_sorted uses plain Metaphone, which drops final vowels and "
    "equates ALI/ALIA, IVAN/IVANA, PETROV/PETROVA, YUKI/YUKA (normalize.phonetic_code keeps -A)"
)
KNOWN_GAPS = {
    ("Ing-Wen|Tsai", "Yingwen|Cai"): "ING is removed as an honorific (Ing., engineer)",
    ("Ying-jeou|Ma", "Yingjiu|Ma"): "Gwoyeu Romatzyh (JEOU) is not read",
    ("Amir Ali|Nazari", "Amirali|Nazari"): "a joined name is split only from eight letters on "
    "(shorter ones such as SHAHRAM, SHAH + RAM, are one name)",
}
KNOWN_MERGES = {
    ("Ali|Hassan", "Alia|Hassan"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Jan|Novak", "Jana|Novak"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Ivan|Petrov", "Ivana|Petrova"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Aleksandr|Ivanov", "Aleksandra|Ivanova"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Maria|Garcia", "Mario|Garcia"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Yuki|Sato", "Yuka|Sato"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Karim|Said", "Karima|Said"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Nikolai|Sokolov", "Nikolai|Sokolova"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Yuko|Tanaka", "Yuki|Tanaka"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Ivan|Ilyin", "Ivan|Ilyina"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Amir|Karimi", "Amira|Karimi"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Olga|Kuznetsova", "Olga|Kuznetsov"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Bent|Hansen", "Bente|Hansen"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Hassan|Mansouri", "Hassan|Mansour"): _PHONETIC_DROPS_FINAL_VOWEL,
    ("Hassan|Ali", "Hussein|Ali"): "Metaphone: HASSAN and HUSSEIN are both HSN",
    ("Kosuke|Sato", "Keisuke|Sato"): "Metaphone ignores inner vowels: KSK",
    ("Jan|de Boer", "Jan|de Bor"): "the key fold of ICAO OE (Ö) to O also folds the Dutch OE; "
    "Metaphone made BOER and BOR both BR before it",
    ("Sai Krishna|Rao", "Sai Kiran|Rao"): "name_dob keys on the first given token (as JOSE LUIS "
    "/ JOSE MARIA); SAI is the first part of both names",
    ("Lars|Aas", "Lars|As"): "the key fold of ICAO AA (Å) to A: AAS is the older spelling of ÅS, "
    "which other clerks write AS, so this may be one family name",
    ("Tina|Li", "Dina|Li"): "Metaphone: TINA and DINA are both TN",
    ("Jian|Li", "Qian|Li"): "Wade-Giles CHIEN is both, so the Chinese key folds J/Q",
    ("Dong|Chen", "Tong|Chen"): "Wade-Giles TUNG is both, so the Chinese key folds D/T",
    ("Dirk|de Vries", "Dirk|Vries"): "a surname with and without its particle: one key by design",
    ("Juan|Garcia Lopez", "Juan|Garcia Perez"): "name_dob keys a double surname on the one a "
    "short form keeps (GARCIA), so a dropped second surname links; cousins with one given name "
    "and birth date share it too",
}


def _record(spec: str) -> NormalizedRecord:
    given, surname, *nationality = spec.split("|")
    raw = {"given_names": given, "surname": surname}
    if nationality:
        raw["nationality"] = nationality[0]
    return normalize_record(raw, record_id=spec)


def _name_keys(record: NormalizedRecord) -> dict[str, set[tuple[str, ...]]]:
    """Per strong rule, the values of its name components (what the rule token is built on)."""
    keys = {}
    for rule in STRONG_NAME_RULES:
        values = [
            component_values(record, component, SCHEMA)
            for component in rule.components
            if component in NAME_COMPONENTS
        ]
        keys[rule.id] = set(islice(product(*values), rule.max_tokens))
    return keys


def shared_strong_rules(first: str, second: str) -> list[str]:
    """Ids of the strong rules whose name part the two records share."""
    a, b = _name_keys(_record(first)), _name_keys(_record(second))
    return [rule_id for rule_id in a if a[rule_id] & b[rule_id]]


def _params(pairs, gaps):
    params = []
    for index, pair in enumerate(pairs):
        key = pair[-2:]
        marks = [pytest.mark.xfail(strict=True, reason=gaps[key])] if key in gaps else []
        label = pair[0] if len(pair) == 3 else "different"
        params.append(pytest.param(*key, marks=marks, id=f"{label}-{index}"))
    return params


def test_the_schema_has_strong_name_rules() -> None:
    assert len(STRONG_NAME_RULES) >= 2


def test_gap_lists_name_real_pairs() -> None:
    same = {pair[1:] for pair in SAME_PERSON}
    assert set(KNOWN_GAPS) <= same
    assert set(KNOWN_MERGES) <= set(DIFFERENT_PEOPLE)
    assert len(SAME_PERSON) >= 150 and len(set(SAME_PERSON)) == len(SAME_PERSON)


@pytest.mark.parametrize(("first", "second"), _params(SAME_PERSON, KNOWN_GAPS))
def test_same_person_shares_a_strong_name_key(first: str, second: str) -> None:
    assert shared_strong_rules(first, second), (first, second)


@pytest.mark.parametrize(("first", "second"), _params(DIFFERENT_PEOPLE, KNOWN_MERGES))
def test_different_people_share_no_strong_name_key(first: str, second: str) -> None:
    assert not shared_strong_rules(first, second), (first, second)


# ---- the conventions one at a time ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kana", "readings"),
    [
        ("しょう", ("SHO", "SHOU")),
        ("じゅんいち", ("JUNICHI",)),
        ("ハットリ", ("HATTORI",)),
        ("サトウ", ("SATO", "SATOU")),
        ("きょうこ", ("KYOKO", "KYOUKO")),
        ("マッチャ", ("MATCHA",)),
        ("ジェーン", ("JEN",)),
    ],
)
def test_kana_reads_as_passport_hepburn(kana: str, readings: tuple[str, ...]) -> None:
    assert word_readings(kana) == readings


@pytest.mark.parametrize(
    ("spellings", "same"),
    [
        (("JIANGUO", "CHIENKUO"), True),
        (("XIAOMING", "HSIAOMING"), True),
        (("QIANG", "CHIANG", "JIANG"), True),
        (("ZHIQIANG", "CHIHCHIANG"), True),
        (("XIAOMING", "XIAOMEI"), False),
        (("GUOQIANG", "GUOLIANG"), False),
    ],
)
def test_chinese_key_is_romanization_neutral(spellings: tuple[str, ...], same: bool) -> None:
    keys = {chinese_name_key(s) for s in spellings}
    assert None not in keys
    assert (len(keys) == 1) is same


def test_chinese_key_rejects_words_that_are_not_syllables() -> None:
    assert chinese_name_key("PETER") is None
    assert chinese_name_key("XIAOXIAOXIAOMING") is None  # more than three syllables


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("SEONGMIN", "SUNGMIN", True),
        ("MYEONGBAK", "MYUNGBAK", True),
        ("JIWOO", "JIU", True),
        ("MINJUN", "MINJI", False),
    ],
)
def test_korean_key_folds_romanization_systems(first: str, second: str, same: bool) -> None:
    assert (korean_name_key(first) == korean_name_key(second)) is same


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (("SMIRNOV", "SMIRNOW", "SMIRNOFF"), "SMIRNOV"),
        (("DOSTOEVSKII", "DOSTOYEVSKY", "DOSTOJEWSKI"), "DOSTOEVSKI"),
        (("GORBACHEV", "GORBATSCHOW"), "GORBACHEV"),
        (("ZHUKOV", "JOUKOV"), "JUKOV"),
        (("ZELENSKAYA", "ZELENSKA"), "SELENSKA"),  # З and Ц fold onto S too
        (("ALZAHRANI", "ZAHRANI"), "ZAHRANI"),
        (("VANDERMEER", "MEER"), "MEER"),
        (("DELACRUZ", "CRUZ"), "CRUZ"),
        (("ELDIN", "DIN"), "DIN"),
    ],
)
def test_surname_keys_fold_clerk_spellings(spellings: tuple[str, ...], key: str) -> None:
    assert {surname_key(s) or s for s in spellings} == {key}


def test_surname_keys_keep_names_that_only_look_like_a_particle_compound() -> None:
    assert surname_key("DOSTOEVSKI") is None  # not DOS + TOEVSKI
    assert surname_key("IVANOV") is None
    assert surname_key("ALINA") is None  # AL + a vowel-initial three letters is not an article
    # a surname that is also a known given name keeps its group (LESLIE is not LE + SLIE)
    assert _record("Dean|Leslie").surname.groups == ("LESLIE",)


def test_slavic_keys_do_not_depend_on_the_field() -> None:
    """Given names and surname swapped: the sorted keys stay the same."""
    assert _sorted_groups("Olga|Kusnezowa") == _sorted_groups("Kuznetsova|Olga")


def test_attached_articles_are_dropped_in_the_surname_field_only() -> None:
    assert _sorted_groups("Khalid|Alzahrani") == ("KHALID", "ZAHRANI")
    assert _record("Alisha|Smith").given_names.groups == ("ALISHA",)  # not AL + ISHA
    assert _record("Lachlan|Smith").given_names.groups == ("LACHLAN",)


@pytest.mark.parametrize(
    ("given", "tokens"),
    [
        ("Xiao Ming", ("XIAOMING",)),
        ("Xiao-Ming", ("XIAOMING",)),
        ("Min-jun", ("MINJUN",)),
        ("Jose Luis", ("JOSE", "LUIS")),  # not East Asian syllables
        ("Van Anh", ("VAN", "ANH")),  # Vietnamese given names stay apart
    ],
)
def test_two_syllable_given_names_join_beside_a_surname(given: str, tokens: tuple) -> None:
    assert _record(f"{given}|Chen").given_names.tokens == tokens


def test_given_syllables_stay_apart_without_a_surname() -> None:
    assert _record("Wang Ming|").given_names.tokens == ("WANG", "MING")


def test_two_character_chinese_name_alone_is_surname_plus_given_name() -> None:
    record = _record("张伟|")
    assert (record.surname.tokens, record.given_names.tokens) == (("ZHANG",), ("WEI",))


@pytest.mark.parametrize(
    ("written", "tokens", "core"),
    [
        ("Nasr El Din", ("NASRELDIN",), ("NASRELDIN",)),
        ("Abu Bakr", ("ABUBAKR",), ("ABUBAKR",)),
        ("Mohammad Reza", ("MOHAMMADREZA",), ("MOHAMMADREZA",)),
        ("Fatimazahra", ("FATIMA", "ZAHRA"), ("FATIMA", "ZAHRA")),
        ("Alison", ("ALISON",), ("ALISON",)),
        ("bin Rashid Al Maktoum", ("BIN", "RASHID", "AL", "MAKTOUM"), ("MAKTOUM",)),
        ("bin Ali", ("BIN", "ALI"), ("ALI",)),
        ("عبد الله", ("ABDALLAH",), ("ABDALLAH",)),
    ],
)
def test_arabic_and_persian_compounds(written: str, tokens: tuple, core: tuple) -> None:
    name = normalize_name(written)
    assert (name.tokens, name.core_tokens) == (tokens, core)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Nasreddine", "Nasr El Din"),
        ("Abderrahmane", "Abdul Rahman"),
        ("Abdessalam", "Abd al-Salam"),
        ("Mohamedreza", "Mohammad Reza"),
        ("Gholamreza", "Gholam Reza"),
    ],
)
def test_compound_spellings_share_group_keys(first: str, second: str) -> None:
    assert normalize_name(first).groups == normalize_name(second).groups


def _sorted_groups(spec: str) -> tuple[str, ...]:
    record = _record(spec)
    return tuple(
        sorted(
            group
            for name in (record.given_names, record.surname)
            for token, group in zip(name.tokens, name.groups, strict=True)
            if token not in name.particles
        )
    )


_MERGED_BY_NORMALIZE = {
    pair: reason
    for pair, reason in KNOWN_MERGES.items()
    if reason != _PHONETIC_DROPS_FINAL_VOWEL and not reason.startswith(("Metaphone", "name_dob"))
}


@pytest.mark.parametrize(("first", "second"), _params(DIFFERENT_PEOPLE, _MERGED_BY_NORMALIZE))
def test_normalize_group_keys_keep_different_people_apart(first: str, second: str) -> None:
    assert _sorted_groups(first) != _sorted_groups(second), (first, second)


@pytest.mark.parametrize(
    ("male", "female"),
    [
        ("ALI", "ALIA"),
        ("JAN", "JANA"),
        ("IVAN", "IVANA"),
        ("PETROV", "PETROVA"),
        ("KARIM", "KARIMA"),
        ("SOKOLOV", "SOKOLOVA"),
    ],
)
def test_normalize_phonetic_code_keeps_the_feminine_a(male: str, female: str) -> None:
    """What name_phonetic_sorted would need to keep the Metaphone merges above apart."""
    assert phonetic_code(male) != phonetic_code(female)


@pytest.mark.parametrize(
    "spellings",
    [
        ("CHATZIS", "HATZIS"),  # Greek Χ
        ("OIKONOMOU", "IKONOMOU"),  # Greek ΟΙ
        ("KYRIAKOU", "KIRIAKOU"),  # Greek Υ
        ("MANSOURI", "MANSOORI", "MANSURI"),  # Arabic long U
        ("GHORBANI", "QORBANI"),  # Persian غ / ق
        ("QADI", "KADI"),
        ("CHRUSCHTSCHOW", "KHRUSHCHEV"),  # German CH for Х
        ("CHODORKOWSKI", "KHODORKOVSKII"),
        ("SCHUKOW", "ZHUKOV", "JOUKOV"),  # German SCH for Ж
    ],
)
def test_surname_keys_fold_transliteration_variants(spellings: tuple[str, ...]) -> None:
    assert len({surname_key(s) or s for s in spellings}) == 1


@pytest.mark.parametrize(
    "spellings",
    [
        ("HATZIS", "HATZAKIS"),
        ("FRANCOIS", "FRANCIS"),  # French -OIS is not Greek ΟΙ
        ("GHASEMI", "HASHEMI"),
        ("SCHUKOW", "SUCHOW"),  # Ж and Х stay apart
    ],
)
def test_surname_key_folds_keep_other_names_apart(spellings: tuple[str, ...]) -> None:
    assert len({surname_key(s) or s for s in spellings}) == len(spellings)


def test_icao_digraphs_of_nordic_and_german_vowels_share_keys_with_plain_letters() -> None:
    assert _sorted_groups("Åsa|Ångström") == _sorted_groups("Asa|Angstrom")
    assert _sorted_groups("Aasa|Aangstroem") == _sorted_groups("Asa|Angstrom")
    assert _sorted_groups("Maria|Rodriguez") == ("MARIA", "RODRIGUEZ")  # silent U of GUE kept


@pytest.mark.parametrize(
    ("written", "tokens"),
    [
        ("Shahrukh", ("SHAH", "RUKH")),
        ("Venkatasubramanian", ("VENKATA", "SUBRAMANIAN")),
        ("Rajkumar", ("RAJ", "KUMAR")),
        ("Mohammadjavad", ("MOHAMMAD", "JAVAD")),
        ("Shahram", ("SHAHRAM",)),  # seven letters: one name
        ("Rajesh", ("RAJESH",)),
    ],
)
def test_joined_compound_given_names_split_into_known_parts(written: str, tokens: tuple) -> None:
    assert normalize_name(written).tokens == tokens


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        ("Jose|Garcia Lopez", ["GARCIALOPEZ", "GARCIA"]),
        ("Juan Carlos|de Borbón y Borbón", ["BORBONBORBON", "BORBON"]),
        ("Paulo|Ferreira Costa|BRA", ["FERREIRACOSTA", "COSTA"]),
        ("Jose|Garcia", ["GARCIA"]),
        ("Jan|van der Berg", ["BERG"]),
    ],
)
def test_double_surnames_also_give_the_surname_a_short_form_keeps(spec: str, values: list) -> None:
    assert component_values(_record(spec), "surname", SCHEMA) == values
