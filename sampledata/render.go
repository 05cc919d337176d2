package sampledata

import "strconv"

// appendElement writes one element of the events array, broken as f says.
func (g *generator) appendElement(dst []byte, st *style, e *event, f *fault) []byte {
	if f.hits(lvElement, keyWhole) {
		return append(dst, f.raw...)
	}
	var l fieldList
	l.add(kEvent)
	if e.seq > 0 {
		l.add(kSeq)
	}
	l.arrange(g, st.order)
	dst = append(dst, '{')
	first := true
	for _, k := range l.keys() {
		if k == kSeq {
			dst = appendKey(dst, st, k, &first)
			dst = strconv.AppendInt(dst, int64(e.seq), 10)
			continue
		}
		if !f.hits(lvElement, kEvent) {
			dst = appendKey(dst, st, k, &first)
			dst = g.appendBody(dst, st, e, f)
			continue
		}
		switch {
		case f.omit:
		case f.rename != "":
			if !first {
				dst = append(dst, st.comma...)
			}
			first = false
			dst = appendString(dst, f.rename, false)
			dst = append(dst, st.colon...)
			dst = g.appendBody(dst, st, e, f)
		default:
			dst = appendKey(dst, st, k, &first)
			dst = append(dst, f.raw...)
		}
	}
	return append(dst, '}')
}

// appendBody writes the object under "event".
func (g *generator) appendBody(dst []byte, st *style, e *event, f *fault) []byte {
	var l fieldList
	l.add(kEventType)
	l.add(kTimestamp)
	l.add(kDetails)
	if e.source {
		l.add(kSource)
	}
	l.arrange(g, st.order)
	dst = append(dst, '{')
	first := true
	for _, k := range l.keys() {
		var faulty bool
		if dst, faulty = appendMember(dst, st, f, lvBody, k, &first); faulty {
			continue
		}
		switch k {
		case kEventType:
			dst = append(dst, '"')
			dst = append(dst, eventTypes[e.kind]...)
			dst = append(dst, '"')
		case kTimestamp:
			dst = appendTimestamp(dst, e.sec, e.nsec, e.ts)
		case kDetails:
			dst = g.appendDetails(dst, st, e, f)
		case kSource:
			dst = append(dst, `"web"`...)
		}
	}
	return append(dst, '}')
}

func (g *generator) appendDetails(dst []byte, st *style, e *event, f *fault) []byte {
	var l fieldList
	switch e.kind {
	case evPageView:
		l.add(kPageURL)
		l.add(kReferrer)
		if e.title {
			l.add(kPageTitle)
		}
	case evAddToCart:
		l.add(kProductID)
		l.add(kProductName)
		l.add(kCategory)
		l.add(kPrice)
		l.add(kQuantity)
		if e.variant {
			l.add(kVariant)
		}
	default:
		l.add(kOrderID)
		l.add(kAmount)
		l.add(kCurrency)
		l.add(kItems)
		if e.payment != "" {
			l.add(kPayment)
		}
	}
	l.arrange(g, st.order)
	dst = append(dst, '{')
	first := true
	p := &products[e.prod]
	for _, k := range l.keys() {
		var faulty bool
		if dst, faulty = appendMember(dst, st, f, lvDetails, k, &first); faulty {
			continue
		}
		switch k {
		case kPageURL:
			dst = appendString(dst, e.url, st.ascii)
		case kReferrer:
			if e.refNull {
				dst = append(dst, "null"...)
			} else {
				dst = appendString(dst, e.ref, st.ascii)
			}
		case kPageTitle:
			dst = appendString(dst, "Shop — Best deals", st.ascii)
		case kProductID:
			dst = appendString(dst, p.id, false)
		case kProductName:
			dst = appendString(dst, p.name, st.ascii)
		case kCategory:
			dst = appendString(dst, p.category, false)
		case kPrice:
			dst = appendCents(dst, e.price, st.fixedCents)
		case kQuantity:
			dst = appendQty(dst, e.qty, st.floatQty)
		case kVariant:
			dst = append(dst, `"EU 42"`...)
		case kOrderID:
			dst = append(dst, `"ORD-`...)
			dst = appendHex(dst, e.order, 12)
			dst = append(dst, '"')
		case kAmount:
			dst = appendCents(dst, e.amount, st.fixedCents)
		case kCurrency:
			dst = appendString(dst, e.currency, false)
		case kItems:
			dst = g.appendItems(dst, st, e, f)
		case kPayment:
			dst = appendString(dst, e.payment, false)
		}
	}
	return append(dst, '}')
}

func (g *generator) appendItems(dst []byte, st *style, e *event, f *fault) []byte {
	dst = append(dst, '[')
	for i, it := range e.items {
		if i > 0 {
			dst = append(dst, st.comma...)
		}
		itemFault := f.level == lvItem && f.item == i
		if itemFault && f.key == keyWhole {
			dst = append(dst, f.raw...)
			continue
		}
		var l fieldList
		l.add(kProductID)
		l.add(kProductName)
		l.add(kCategory)
		l.add(kPrice)
		l.add(kQuantity)
		if it.prod%7 == 3 {
			l.add(kSKU)
		}
		l.arrange(g, st.order)
		p := &products[it.prod]
		dst = append(dst, '{')
		first := true
		for _, k := range l.keys() {
			if itemFault && f.key == k {
				if !f.omit {
					dst = appendKey(dst, st, k, &first)
					dst = append(dst, f.raw...)
				}
				continue
			}
			dst = appendKey(dst, st, k, &first)
			switch k {
			case kProductID:
				dst = appendString(dst, p.id, false)
			case kProductName:
				dst = appendString(dst, p.name, st.ascii)
			case kCategory:
				dst = appendString(dst, p.category, false)
			case kPrice:
				dst = appendCents(dst, it.price, st.fixedCents)
			case kQuantity:
				dst = appendQty(dst, it.qty, st.floatQty)
			case kSKU:
				dst = append(dst, `"SKU-`...)
				dst = append(dst, p.id...)
				dst = append(dst, `-01"`...)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

func appendQty(dst []byte, q int, asFloat bool) []byte {
	dst = strconv.AppendInt(dst, int64(q), 10)
	if asFloat {
		dst = append(dst, ".0"...)
	}
	return dst
}
